package gitops

// OnGitHub reports whether the publisher opens pull requests on GitHub
// (rather than in a local git repository), so that callers can name GitHub
// as the system behind its errors.
func (p *Publisher) OnGitHub() bool { return p.local == nil }
