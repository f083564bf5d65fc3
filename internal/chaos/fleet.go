package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds how long a started serve may take to answer /readyz.
const readyTimeout = 60 * time.Second

// instance is one `payresult serve` child process, restarted on the same
// address after every kill so that PortOne's notice URLs stay valid.
type instance struct {
	n    int
	bin  string
	addr string // 127.0.0.1:port
	url  string
	env  []string
	log  *os.File

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	killing bool          // the harness is killing it: an exit is expected
	kills   int           // SIGKILLs sent to it
	crashes []string      // exits the harness did not cause
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs the instance and waits until it answers /readyz.
func (in *instance) start(ctx context.Context) error {
	in.mu.Lock()
	if in.cmd != nil {
		in.mu.Unlock()
		return nil
	}
	fmt.Fprintf(in.log, "\n=== chaos: starting serve #%d at %s on %s\n", in.n, time.Now().Format(time.RFC3339Nano), in.addr)
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.log, in.log
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		in.mu.Unlock()
		return fmt.Errorf("starting serve #%d: %w", in.n, err)
	}
	exited := make(chan struct{})
	in.cmd, in.exited, in.killing = cmd, exited, false
	in.mu.Unlock()
	go in.wait(cmd, exited)
	return in.waitReady(ctx, exited)
}

// wait reaps the process and notes exits the harness did not cause.
func (in *instance) wait(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.killing {
		in.crashes = append(in.crashes, fmt.Sprintf("serve #%d exited on its own: %v", in.n, err))
	}
	if in.cmd == cmd {
		in.cmd = nil
	}
	close(exited)
}

// waitReady polls /readyz until it answers 200.
func (in *instance) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(in.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("serve #%d exited before it was ready; see %s", in.n, in.log.Name())
		case <-ctx.Done():
			return fmt.Errorf("serve #%d not ready after %s: %w", in.n, readyTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone. It reports
// whether there was a process to kill.
func (in *instance) kill() bool {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	if cmd == nil {
		in.mu.Unlock()
		return false
	}
	in.killing = true
	in.kills++
	in.mu.Unlock()
	fmt.Fprintf(in.log, "\n=== chaos: SIGKILL serve #%d at %s\n", in.n, time.Now().Format(time.RFC3339Nano))
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	return true
}

// fleet is the serve instances of a run.
type fleet struct {
	instances []*instance
}

// newFleet prepares n instances sharing env (the database and PortOne
// settings), each with its own address and log file in dir.
func newFleet(bin, dir string, n int, env []string) (*fleet, error) {
	f := &fleet{}
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			f.close()
			return nil, err
		}
		log, err := os.Create(fmt.Sprintf("%s/serve-%d.log", dir, i))
		if err != nil {
			f.close()
			return nil, err
		}
		in := &instance{n: i, bin: bin, addr: addr, url: "http://" + addr, log: log}
		in.env = append(append([]string{}, env...), "PAYRESULT_ADDR="+addr, "PAYRESULT_PUBLIC_URL="+in.url)
		f.instances = append(f.instances, in)
	}
	return f, nil
}

// startAll starts every instance that is not running.
func (f *fleet) startAll(ctx context.Context) error {
	for _, in := range f.instances {
		if err := in.start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// crashes lists the exits nobody asked for.
func (f *fleet) crashes() []string {
	var out []string
	for _, in := range f.instances {
		in.mu.Lock()
		out = append(out, in.crashes...)
		in.mu.Unlock()
	}
	return out
}

// killsByInstance lists how many SIGKILLs each instance got.
func (f *fleet) killsByInstance() []int {
	out := make([]int, len(f.instances))
	for i, in := range f.instances {
		in.mu.Lock()
		out[i] = in.kills
		in.mu.Unlock()
	}
	return out
}

// close kills every instance and closes the log files.
func (f *fleet) close() {
	for _, in := range f.instances {
		in.kill()
		in.log.Close()
	}
}

// childEnv is the harness's environment without payresult's and
// PortOne's settings, so that the operator's own never leak into a run.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PAYRESULT_") || strings.HasPrefix(kv, "PORTONE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// errNoBinary is returned when Config.Binary is empty.
var errNoBinary = errors.New("chaos: no payresult binary to run serve with")
