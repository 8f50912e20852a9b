-- ejops:ignore EJ201 nothing to suppress here
SELECT 1;
