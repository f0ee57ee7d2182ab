package bot

// Outbound returns the messenger for a post that answers no request (a
// scheduled digest, an alert, a DM after an approval, a job's progress):
// the messenger of transport when one is given and registered, else the
// Slack messenger, else the shell's, else nil. A nil Router has none.
func (r *Router) Outbound(transport string) Messenger {
	if r == nil {
		return nil
	}
	for _, t := range []string{transport, TransportSlack, TransportShell} {
		if t == "" {
			continue
		}
		if m := r.Messenger(t); m != nil {
			return m
		}
	}
	return nil
}
