/* GO
*/
SELECT 1;
