package runner

import (
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"
	b := "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\n"
	got := strings.Join(UnifiedDiff(a, b), "\n")
	want := `@@ -1,6 +1,6 @@
 one
 two
-three
+THREE
 four
 five
 six
@@ -8,3 +8,4 @@
 eight
 nine
 ten
+eleven`
	if got != want {
		t.Fatalf("UnifiedDiff mismatch\n--- got\n%s\n--- want\n%s", got, want)
	}
	if d := UnifiedDiff("SELECT 1;\r\n", "SELECT 1;\n"); len(d) != 0 {
		t.Fatalf("line endings made a diff: %v", d)
	}
}
