package runner

// KindWord names a kind the way plans and errors print it: "credential", "target group", "job".
func KindWord(kind string) string {
	switch kind {
	case KindCredential:
		return "credential"
	case KindTargetGroup:
		return "target group"
	}
	return "job"
}
