// Package browser starts headless Chromium for the tests that check pages
// in a real browser (the webpages layout, the bench report). Without
// Chromium on PATH a test skips, unless HIDDENDIM_REQUIRE_BROWSER is set
// (as CI sets it), when it fails. Only tests import it.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Require is the environment variable that turns a missing Chromium from
// a skip into a failure.
const Require = "HIDDENDIM_REQUIRE_BROWSER"

// Console collects what a page reported as going wrong: console.error and
// console.warn calls, uncaught exceptions, and error log entries (a
// resource that failed to load, a blocked request). It is safe for
// concurrent use.
type Console struct {
	mu       sync.Mutex
	problems []string
}

// Problems returns what was reported so far, in order.
func (c *Console) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}

// Reset forgets what was reported, before the next page.
func (c *Console) Reset() {
	c.mu.Lock()
	c.problems = nil
	c.mu.Unlock()
}

func (c *Console) add(s string) {
	c.mu.Lock()
	c.problems = append(c.problems, s)
	c.mu.Unlock()
}

// listen is a chromedp listener: it must return fast and run no command.
func (c *Console) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			c.add(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		c.add(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning {
			c.add(fmt.Sprintf("log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL))
		}
	}
}

// New starts headless Chromium for t, with a window of width×height
// pixels, and returns a chromedp context on one tab and the console of
// that tab. The browser ends when t does; every action under the context
// times out after two minutes.
func New(t testing.TB, width, height int) (context.Context, *Console) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv(Require) != "" {
			t.Fatalf("no chromium on PATH and %s is set: apt-get install -y chromium", Require)
		}
		t.Skip("no chromium on PATH: apt-get install -y chromium to run this check (CI does)")
	}
	// The background-networking flags keep Chromium from trying hosts it
	// cannot reach (see DefaultExecAllocatorOptions).
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(width, height))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	console := &Console{}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(console.listen))
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	return ctx, console
}
