package spec

import (
	"strings"
)

// closest returns the candidate nearest to word, compared case-insensitively, when it is close
// enough to be a likely typo: at most one edit for words of up to four characters, two up to nine,
// three beyond, and always fewer edits than the shorter word has characters. Ties go to the earlier candidate.
func closest(word string, candidates []string) (string, bool) {
	w := []rune(strings.ToLower(word))
	limit := min(1+len(w)/5, 3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		cr := []rune(strings.ToLower(c))
		if d := editDistance(w, cr); d < bestDist && d < min(len(w), len(cr)) {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// didYouMean returns "; did you mean X?" for the candidate closest to word, or "".
func didYouMean(word string, candidates []string) string {
	if c, ok := closest(word, candidates); ok {
		return "; did you mean " + c + "?"
	}
	return ""
}

// editDistance is the optimal string alignment distance of a and b: insertions, deletions,
// substitutions and transpositions of adjacent runes each count one.
func editDistance(a, b []rune) int {
	// rows i-2, i-1 and i of the table, each len(b)+1 wide
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
