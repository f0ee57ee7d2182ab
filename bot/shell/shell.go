// Package shell is platbot's local chat transport, like Hubot's shell
// adapter: it reads "/plat ..." lines from standard input, turns forms into
// prompts (one field at a time, defaults shown, choices numbered, invalid
// answers re-asked), buttons into numbered choices, and messages into text.
// It behaves the same when standard input is a pipe, so scripts and tests
// drive it.
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
)

// Router is what the shell needs of bot.Router.
type Router interface {
	Run(ctx context.Context, req *bot.Request) error
	ValidateForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) (bot.FieldErrors, error)
	SubmitForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) error
	Act(ctx context.Context, req *bot.Request, a bot.Action) error
	// ValidatePage, BuildForm and SuggestOptions serve multi-page forms,
	// Dispatch fields and external selects (see bot.Router).
	ValidatePage(ctx context.Context, req *bot.Request, formID string, page int, v bot.Values) (bot.FieldErrors, error)
	BuildForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) (*bot.Form, error)
	SuggestOptions(ctx context.Context, req *bot.Request, formID, fieldID, query string) ([]bot.Option, error)
}

// Jobs runs due durable jobs between lines (bot.Worker satisfies it).
type Jobs interface {
	RunDue(ctx context.Context) (int, error)
}

// Options configure a Shell.
type Options struct {
	In     io.Reader
	Out    io.Writer
	Router Router
	Jobs   Jobs
	// User is who the shell speaks as.
	User bot.User
	// Channel is the pretend channel commands are typed in (default "#shell").
	Channel string
	// FilesDir is where uploaded files (charts, kubeconfigs) are written.
	FilesDir string
	// Interactive prints a prompt before each line.
	Interactive bool
	// Tick is how often due jobs run while waiting for input (default 1s).
	Tick time.Duration
}

// Shell is the local transport and its Messenger.
type Shell struct {
	opts Options

	mu      sync.Mutex
	out     io.Writer
	seq     int
	buttons map[int]pressable
	nextBtn int
	shown   map[string]string // last printed text of each message, by channel/ts
	lines   chan string
	eof     chan struct{}
	// hideInput turns the terminal's echo off until restore is called
	// (nil when standard input is not a terminal).
	hideInput func() (restore func(), err error)
}

type pressable struct {
	button bot.Button
	ref    bot.MessageRef
}

var _ bot.Messenger = (*Shell)(nil)

// New returns a shell. Call Run to start reading.
func New(opts Options) *Shell {
	if opts.Channel == "" {
		opts.Channel = "#shell"
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.FilesDir == "" {
		opts.FilesDir = "platbot-files"
	}
	sh := &Shell{opts: opts, out: opts.Out, buttons: map[int]pressable{}, nextBtn: 1, shown: map[string]string{}}
	if f, ok := opts.In.(*os.File); ok && IsTerminal(f) {
		sh.hideInput = func() (func(), error) { return echoOff(f) }
	}
	return sh
}

// IsTerminal reports whether f is an interactive terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Run reads lines until EOF, "exit" or ctx ends.
func (s *Shell) Run(ctx context.Context) error {
	s.lines = make(chan string)
	s.eof = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(s.opts.In)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case s.lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		close(s.eof)
	}()
	s.printf("platbot shell — you are %s. Type /plat help, a button number to press it, or exit.\n", s.opts.User)
	tick := time.NewTicker(s.opts.Tick)
	defer tick.Stop()
	for {
		s.prompt()
		select {
		case <-ctx.Done():
			return nil
		case <-s.eof:
			s.runJobs(ctx)
			return nil
		case <-tick.C:
			s.runJobs(ctx)
		case line := <-s.lines:
			if done := s.handleLine(ctx, line); done {
				return nil
			}
			s.runJobs(ctx)
		}
	}
}

func (s *Shell) prompt() {
	if s.opts.Interactive {
		s.printf("> ")
	}
}

func (s *Shell) runJobs(ctx context.Context) {
	if s.opts.Jobs == nil {
		return
	}
	if _, err := s.opts.Jobs.RunDue(ctx); err != nil {
		s.printf("! background jobs: %v\n", err)
	}
}

// errCancelled is returned by a prompt when the user types "cancel".
var errCancelled = errors.New("form cancelled")

var pressRe = regexp.MustCompile(`^(?:press|click)?\s*\[?(\d+)\]?$`)

func (s *Shell) handleLine(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return false
	case line == "exit" || line == "quit":
		return true
	}
	if m := pressRe.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		s.press(ctx, n)
		return false
	}
	text := line
	if strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "/plat ") && text != "/plat" {
		word, _, _ := strings.Cut(text, " ")
		s.printf("! %s is not a platbot command: commands start with /plat (try /plat help)\n", word)
		return false
	}
	switch {
	case strings.HasPrefix(text, "/plat"):
		text = strings.TrimSpace(strings.TrimPrefix(text, "/plat"))
	case strings.HasPrefix(text, "plat "):
		text = strings.TrimSpace(strings.TrimPrefix(text, "plat "))
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("shell-%d-%d", time.Now().UnixNano(), s.seq)
	s.mu.Unlock()
	req := &bot.Request{
		ID: id, Transport: bot.TransportShell, User: s.opts.User, Channel: s.opts.Channel,
		Text: text, Received: time.Now(), TriggerID: id,
	}
	req.Bind(s)
	if err := s.opts.Router.Run(ctx, req); err != nil {
		s.printf("! %v\n", err)
	}
	return false
}

func (s *Shell) press(ctx context.Context, n int) {
	s.mu.Lock()
	p, ok := s.buttons[n]
	s.seq++
	id := fmt.Sprintf("shell-press-%d-%d", time.Now().UnixNano(), s.seq)
	s.mu.Unlock()
	if !ok {
		s.printf("! there is no button [%d]\n", n)
		return
	}
	if p.button.URL != "" {
		s.printf("open %s\n", p.button.URL)
		return
	}
	if p.button.Confirm != "" {
		ok, err := s.askYesNo(ctx, p.button.Confirm)
		if err != nil || !ok {
			s.printf("cancelled\n")
			return
		}
	}
	req := &bot.Request{
		ID: id, Transport: bot.TransportShell, User: s.opts.User, Channel: p.ref.Channel,
		ThreadTS: p.ref.Thread(), Received: time.Now(), TriggerID: id,
	}
	req.Bind(s)
	a := bot.Action{ID: p.button.ActionID, Value: p.button.Value, Message: p.ref}
	if err := s.opts.Router.Act(ctx, req, a); err != nil {
		s.printf("! %v\n", err)
	}
}

// readLine waits for the next input line (false at EOF or cancellation).
func (s *Shell) readLine(ctx context.Context) (string, bool) {
	select {
	case l := <-s.lines:
		return strings.TrimSpace(l), true
	case <-s.eof:
		return "", false
	case <-ctx.Done():
		return "", false
	}
}

func (s *Shell) askYesNo(ctx context.Context, q string) (bool, error) {
	for {
		s.printf("%s [y/n] ", q)
		l, ok := s.readLine(ctx)
		if !ok {
			return false, io.EOF
		}
		switch strings.ToLower(l) {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		s.printf("  answer y or n\n")
	}
}

func (s *Shell) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, format, args...)
}

func (s *Shell) ref(channel, thread string) bot.MessageRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return bot.MessageRef{Channel: channel, TS: fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq), ThreadTS: thread}
}

// render prints a message and numbers its buttons.
func (s *Shell) render(prefix string, ref bot.MessageRef, msg bot.Message) {
	text := readable(bot.MrkdwnText(msg))
	var buttons []string
	s.mu.Lock()
	for _, b := range msg.Blocks {
		var bs []bot.Button
		switch v := b.(type) {
		case bot.Actions:
			bs = v.Buttons
		case bot.Section:
			if v.Accessory != nil {
				bs = []bot.Button{*v.Accessory}
			}
		}
		for _, bt := range bs {
			n := s.nextBtn
			s.nextBtn++
			s.buttons[n] = pressable{button: bt, ref: ref}
			buttons = append(buttons, fmt.Sprintf("[%d] %s", n, bt.Text))
		}
	}
	s.mu.Unlock()
	// Drop the bracketed button labels the text has; print numbered ones.
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && len(buttons) > 0 {
			continue
		}
		lines = append(lines, l)
	}
	var b strings.Builder
	if prefix != "" {
		b.WriteString(prefix + "\n")
	}
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	if len(buttons) > 0 {
		b.WriteString("  " + strings.Join(buttons, "  ") + "   (type the number to press)\n")
	}
	s.printf("%s", b.String())
}

// Respond prints the answer to a request.
func (s *Shell) Respond(_ context.Context, req *bot.Request, msg bot.Message) error {
	s.render("", bot.MessageRef{Channel: req.Channel, TS: req.ThreadTS}, msg)
	return nil
}

// Post prints a new message in a channel (or thread).
func (s *Shell) Post(_ context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	ref := s.ref(channel, msg.ThreadTS)
	s.mu.Lock()
	s.shown[ref.Channel+"/"+ref.TS] = readable(bot.MrkdwnText(msg))
	s.mu.Unlock()
	where := channel
	if msg.ThreadTS != "" {
		where += " (thread " + msg.ThreadTS + ")"
	}
	s.render(fmt.Sprintf("[%s] message %s:", where, ref.TS), ref, msg)
	return ref, nil
}

// Update prints what changed in a message: the lines that are new since
// the version last printed (progress updates stay short), or the whole
// message when it was never printed here.
func (s *Shell) Update(_ context.Context, ref bot.MessageRef, msg bot.Message) error {
	key := ref.Channel + "/" + ref.TS
	text := readable(bot.MrkdwnText(msg))
	s.mu.Lock()
	prev, seen := s.shown[key]
	s.shown[key] = text
	s.mu.Unlock()
	if !seen || hasButtons(msg) {
		s.render(fmt.Sprintf("[%s] message %s updated:", ref.Channel, ref.TS), ref, msg)
		return nil
	}
	old := map[string]bool{}
	for _, l := range strings.Split(prev, "\n") {
		old[l] = true
	}
	var changed []string
	for _, l := range strings.Split(text, "\n") {
		if !old[l] {
			changed = append(changed, "  "+l)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	s.printf("[%s] message %s updated:\n%s\n", ref.Channel, ref.TS, strings.Join(changed, "\n"))
	return nil
}

func hasButtons(msg bot.Message) bool {
	for _, b := range msg.Blocks {
		switch v := b.(type) {
		case bot.Actions:
			return true
		case bot.Section:
			if v.Accessory != nil {
				return true
			}
		}
	}
	return false
}

// Ephemeral prints a message only the user would see.
func (s *Shell) Ephemeral(_ context.Context, channel, userID string, msg bot.Message) error {
	s.render(fmt.Sprintf("[%s] (only visible to %s):", channel, userID), bot.MessageRef{Channel: channel}, msg)
	return nil
}

// DM prints a direct message.
func (s *Shell) DM(_ context.Context, userID string, msg bot.Message) (bot.MessageRef, error) {
	ref := s.ref("@"+userID, "")
	s.mu.Lock()
	s.shown[ref.Channel+"/"+ref.TS] = readable(bot.MrkdwnText(msg))
	s.mu.Unlock()
	s.render(fmt.Sprintf("[DM to %s]:", userID), ref, msg)
	return ref, nil
}

// Upload writes the file into FilesDir and prints its path.
func (s *Shell) Upload(_ context.Context, channel, threadTS string, f bot.File) error {
	if err := os.MkdirAll(s.opts.FilesDir, 0o700); err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	name := filepath.Base(filepath.Clean("/" + f.Name))
	if name == "/" || name == "." {
		name = "file"
	}
	p := filepath.Join(s.opts.FilesDir, name)
	if err := os.WriteFile(p, f.Content, 0o600); err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	title := f.Title
	if title == "" {
		title = f.Name
	}
	s.printf("[%s] file %q written to %s\n", channel, title, p)
	if f.Comment != "" {
		s.printf("  %s\n", f.Comment)
	}
	return nil
}

// OpenForm asks the form's fields one at a time, re-asking invalid answers,
// then validates and submits it through the router like a modal submission.
// A multi-page form is asked page by page under the pages' titles, each
// page validated before the next; an error on an earlier page goes back to
// it. After a Dispatch field is answered the form is rebuilt for the
// answers so far and its fields not yet answered are asked (the answers of
// fields that went away are dropped).
func (s *Shell) OpenForm(ctx context.Context, req *bot.Request, form *bot.Form) error {
	s.printf("== %s ==  (type cancel at any prompt to leave the form)\n", form.Title)
	if form.Intro != "" {
		s.printf("%s\n", readable(form.Intro))
	}
	values := bot.Values{}
	errs := bot.FieldErrors{}
	redo := map[string]bool{}
	shown := -1
	for page := 0; page < form.PageCount(); {
		if form.PageCount() > 1 && page != shown {
			title := form.PageTitle(page)
			if title != "" {
				title = ": " + title
			}
			s.printf("-- Step %d of %d%s --\n", page+1, form.PageCount(), title)
			shown = page
		}
		if fd := nextField(form, page, values, redo); fd != nil {
			v, err := s.askField(ctx, req, form.ID, fd, errs[fd.ID])
			if errors.Is(err, errCancelled) {
				s.printf("form cancelled: nothing was submitted\n")
				return nil
			}
			if err != nil {
				s.printf("form cancelled: input ended\n")
				return nil
			}
			values[fd.ID] = v
			delete(redo, fd.ID)
			if fd.Dispatch {
				rebuilt, err := s.opts.Router.BuildForm(ctx, req, form.ID, values)
				if err != nil {
					return err
				}
				if rebuilt != nil {
					form = rebuilt
					for id := range values {
						if form.Field(id) == nil {
							delete(values, id)
						}
					}
				}
			}
			continue
		}
		last := page >= form.PageCount()-1
		var ferrs bot.FieldErrors
		var err error
		if last {
			ferrs, err = s.opts.Router.ValidateForm(ctx, req, form.ID, values)
		} else {
			ferrs, err = s.opts.Router.ValidatePage(ctx, req, form.ID, page, values)
		}
		if err != nil {
			return err
		}
		if len(ferrs) == 0 {
			if last {
				break
			}
			page++
			continue
		}
		errs = ferrs
		back := -1
		for id := range ferrs {
			if p := form.PageOf(id); p >= 0 {
				redo[id] = true
				if back < 0 || p < back {
					back = p
				}
			}
		}
		if back < 0 {
			// An error on something that is not a field: show it and stop.
			s.printf("! %v\n", ferrs)
			return nil
		}
		page = back
	}
	return s.opts.Router.SubmitForm(ctx, req, form.ID, values)
}

// nextField is the first field of the page not answered yet or to be
// asked again.
func nextField(form *bot.Form, page int, values bot.Values, redo map[string]bool) *bot.Field {
	for i := range form.Fields {
		fd := &form.Fields[i]
		if form.PageOf(fd.ID) != page {
			continue
		}
		if _, answered := values[fd.ID]; !answered || redo[fd.ID] {
			return fd
		}
	}
	return nil
}

// maxShownSuggestions bounds the suggestions listed after an answer that is
// not one of an external field's options.
const maxShownSuggestions = 10

func (s *Shell) askField(ctx context.Context, req *bot.Request, formID string, fd *bot.Field, prevErr string) ([]string, error) {
	if prevErr != "" {
		s.printf("  ! %s: %s\n", fd.Label, prevErr)
	}
	for {
		label := fd.Label
		if fd.Required {
			label += " *"
		}
		switch fd.Kind {
		case bot.FieldSelect, bot.FieldMultiSelect:
			s.printf("%s\n", label)
			for i, o := range fd.Options {
				s.printf("  %d) %s\n", i+1, o.Label)
			}
			if fd.Kind == bot.FieldMultiSelect {
				s.printf("  (numbers separated by commas)")
			}
		case bot.FieldBool:
			s.printf("%s (y/n)", label)
		case bot.FieldMultiExternal:
			s.printf("%s (values separated by commas)", label)
		case bot.FieldSecret:
			hidden := "stored sealed, never shown"
			if s.hideInput != nil {
				hidden = "hidden as you type; " + hidden
			}
			s.printf("%s (%s)", label, hidden)
		default:
			s.printf("%s", label)
		}
		if fd.Help != "" {
			s.printf(" — %s", fd.Help)
		}
		if fd.Default != "" && fd.Kind != bot.FieldSecret {
			s.printf(" [%s]", s.defaultLabel(fd))
		}
		s.printf(": ")
		line, ok := s.readAnswer(ctx, fd.Kind == bot.FieldSecret)
		if !ok {
			return nil, io.EOF
		}
		s.printf("\n")
		if strings.EqualFold(line, "cancel") || strings.EqualFold(line, "/cancel") {
			return nil, errCancelled
		}
		vals, msg := s.parseAnswer(fd, line)
		if msg == "" {
			msg = fd.Check(vals)
		}
		if msg == "" && fd.IsExternal() {
			vals, msg = s.checkSuggested(ctx, req, formID, fd, vals)
		}
		if msg == "" {
			return vals, nil
		}
		s.printf("  ! %s\n", msg)
	}
}

// readAnswer reads one answer; a secret one with the terminal's echo off
// when standard input is a terminal.
func (s *Shell) readAnswer(ctx context.Context, secret bool) (string, bool) {
	if secret && s.hideInput != nil {
		restore, err := s.hideInput()
		if err != nil {
			s.printf("(your input cannot be hidden here: %v) ", err)
		} else {
			defer restore()
		}
	}
	return s.readLine(ctx)
}

// checkSuggested keeps an external field's answers that are exactly one of
// the options Suggest offers for them (or name exactly one by its label);
// for any other answer it lists the options that match what was typed.
func (s *Shell) checkSuggested(ctx context.Context, req *bot.Request, formID string, fd *bot.Field, vals []string) ([]string, string) {
	out := make([]string, 0, len(vals))
	for _, typed := range vals {
		if len([]rune(typed)) < fd.MinQuery {
			return nil, fmt.Sprintf("type at least %d characters of %q to search", fd.MinQuery, typed)
		}
		opts, err := s.opts.Router.SuggestOptions(ctx, req, formID, fd.ID, typed)
		if err != nil {
			return nil, fmt.Sprintf("cannot look up the choices: %v", err)
		}
		var byLabel []bot.Option
		found := false
		for _, o := range opts {
			if o.Value == typed {
				found = true
				break
			}
			if strings.EqualFold(o.Label, typed) || strings.EqualFold(refName(o.Value), typed) {
				byLabel = append(byLabel, o)
			}
		}
		switch {
		case found:
			out = append(out, typed)
			continue
		case len(byLabel) == 1:
			out = append(out, byLabel[0].Value)
			continue
		}
		if len(opts) == 0 {
			return nil, fmt.Sprintf("nothing matches %q", typed)
		}
		lines := []string{fmt.Sprintf("%q is not one of the choices; matching:", typed)}
		for i, o := range opts {
			if i == maxShownSuggestions {
				lines = append(lines, fmt.Sprintf("    … and %d more: type more to narrow them", len(opts)-i))
				break
			}
			if o.Label != "" && o.Label != o.Value {
				lines = append(lines, fmt.Sprintf("    %s (%s)", o.Value, o.Label))
			} else {
				lines = append(lines, "    "+o.Value)
			}
		}
		return nil, strings.Join(lines, "\n")
	}
	return out, ""
}

func (s *Shell) defaultLabel(fd *bot.Field) string {
	if fd.Kind == bot.FieldBool {
		if fd.Default == "true" {
			return "y"
		}
		return "n"
	}
	var labels []string
	for _, d := range strings.Split(fd.Default, ",") {
		l := d
		for _, o := range fd.Options {
			if o.Value == d {
				l = o.Label
			}
		}
		labels = append(labels, l)
	}
	return strings.Join(labels, ", ")
}

// parseAnswer turns a typed answer into values; an empty answer takes the default.
func (s *Shell) parseAnswer(fd *bot.Field, line string) ([]string, string) {
	if line == "" && fd.Kind == bot.FieldSecret {
		return nil, ""
	}
	if line == "" {
		if fd.Default == "" {
			if fd.Kind == bot.FieldBool {
				return []string{"false"}, ""
			}
			return nil, ""
		}
		if fd.IsMulti() {
			return strings.Split(fd.Default, ","), ""
		}
		return []string{fd.Default}, ""
	}
	switch fd.Kind {
	case bot.FieldMultiExternal:
		var out []string
		for _, part := range strings.Split(line, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, ""
	case bot.FieldBool:
		switch strings.ToLower(line) {
		case "y", "yes", "true":
			return []string{"true"}, ""
		case "n", "no", "false":
			return []string{"false"}, ""
		}
		return nil, "answer y or n"
	case bot.FieldSelect, bot.FieldMultiSelect:
		var out []string
		for _, part := range strings.Split(line, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if n, err := strconv.Atoi(part); err == nil {
				if n < 1 || n > len(fd.Options) {
					return nil, fmt.Sprintf("choose a number from 1 to %d", len(fd.Options))
				}
				out = append(out, fd.Options[n-1].Value)
				continue
			}
			found := false
			for _, o := range fd.Options {
				if strings.EqualFold(o.Value, part) || strings.EqualFold(o.Label, part) || strings.EqualFold(refName(o.Value), part) {
					out = append(out, o.Value)
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Sprintf("%q is not one of the choices", part)
			}
		}
		return out, ""
	}
	return []string{line}, ""
}

// refName is the name part of a catalog reference ("component:default/x" → "x"),
// so a shell user can answer with the name alone.
func refName(v string) string {
	if i := strings.LastIndexAny(v, ":/"); i >= 0 {
		return v[i+1:]
	}
	return v
}
