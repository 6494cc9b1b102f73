// Command goclient calls the webhook the way the kube-apiserver does: Go's own TLS (the CA bundle as the only
// root, the Service's DNS name as the server name) and Go's HTTP/2 transport, one transport shared by every
// review, POST /mutate?timeout=10s. It is the API server's HTTP stack without the API server, which cannot run
// here. Two modes:
//
//	review:  post each review file once and print one JSON line per answer.
//	sigterm: keep 8 reviews in flight, SIGTERM replica A, and move new connections to replica B once A's
//	         readiness has turned (as kube-proxy does when the endpoints drop A); print a JSON summary.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	mode        = flag.String("mode", "review", "review or sigterm")
	caFile      = flag.String("ca", "", "PEM CA bundle (the webhook configuration's caBundle)")
	serverName  = flag.String("server-name", "appmesh-inject.appmesh-system.svc", "the name the certificate must carry")
	http1       = flag.Bool("http1", false, "HTTP/1.1 only (the API server with HTTP/2 turned off)")
	addrA       = flag.String("a", "", "host:port of the replica reviews go to first")
	addrB       = flag.String("b", "", "sigterm: host:port of the replica new connections go to once A is not ready")
	pidA        = flag.Int("pid", 0, "sigterm: process id of replica A")
	template    = flag.String("template", "", "sigterm: a review whose uid is UID")
	clients     = flag.Int("clients", 8, "sigterm: reviews kept in flight")
	before      = flag.Duration("before", time.Second, "sigterm: reviewing before SIGTERM")
	after       = flag.Duration("after", 6*time.Second, "sigterm: reviewing after SIGTERM")
	propagation = flag.Duration("propagation", time.Second, "sigterm: from A's readiness turning to new connections reaching B")
)

func main() {
	flag.Parse()
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail(errors.New("no certificate in " + *caFile))
	}
	tlsConfig := &tls.Config{RootCAs: roots, ServerName: *serverName, MinVersion: tls.VersionTLS12}
	switch *mode {
	case "review":
		review(tlsConfig, flag.Args())
	case "sigterm":
		sigterm(tlsConfig)
	default:
		fail(errors.New("unknown mode " + *mode))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "goclient:", err)
	os.Exit(2)
}

// transport is configured as the API server's webhook client transport is (client-go's defaults: HTTP/2
// unless turned off, idle connections kept 90 s, a 10 s TLS handshake timeout).
func transport(tlsConfig *tls.Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	t := &http.Transport{
		TLSClientConfig:     tlsConfig.Clone(),
		DialContext:         dial,
		ForceAttemptHTTP2:   !*http1,
		MaxIdleConnsPerHost: 25,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if *http1 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return t
}

func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// The URL carries the Service's name; the dialer decides which replica the connection reaches.
func mutateURL() string { return "https://" + *serverName + "/mutate?timeout=10s" }

type answer struct {
	File        string          `json:"file"`
	Proto       string          `json:"proto"`
	Status      int             `json:"status"`
	ContentType string          `json:"contentType"`
	Body        json.RawMessage `json:"body"`
	Error       string          `json:"error,omitempty"`
	TLS         string          `json:"tls,omitempty"`
}

func review(tlsConfig *tls.Config, files []string) {
	client := &http.Client{Transport: transport(tlsConfig, dialTo(*addrA)), Timeout: 10 * time.Second}
	out := json.NewEncoder(os.Stdout)
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		a := answer{File: file}
		resp, err := client.Post(mutateURL(), "application/json", bytes.NewReader(body))
		if err != nil {
			a.Error = err.Error()
		} else {
			text, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a.Proto, a.Status, a.ContentType = resp.Proto, resp.StatusCode, resp.Header.Get("Content-Type")
			if resp.TLS != nil {
				a.TLS = map[uint16]string{tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3"}[resp.TLS.Version]
			}
			if json.Valid(text) {
				a.Body = text
			} else {
				a.Body, _ = json.Marshal(string(text))
			}
		}
		if err := out.Encode(a); err != nil {
			fail(err)
		}
	}
}

type summary struct {
	Answered          int64    `json:"answered"`
	AnsweredAfterTerm int64    `json:"answeredAfterSigterm"`
	Failures          []string `json:"failures"`
	DialsA            int64    `json:"dialsA"`
	DialsB            int64    `json:"dialsB"`
	DialsAAfterTerm   int64    `json:"dialsAAfterSigterm"`
	NotReadyAfterMs   int64    `json:"notReadyAfterMs"`
	AnsweredUids      []string `json:"answeredUids"`
	SigtermToMoveMs   int64    `json:"sigtermToMoveMs"`
	ProtocolsAnswered []string `json:"protocolsAnswered"`
}

func sigterm(tlsConfig *tls.Config) {
	text, err := os.ReadFile(*template)
	if err != nil {
		fail(err)
	}
	var (
		moved, termed               atomic.Bool
		dialsA, dialsB, dialsAAfter atomic.Int64
		answered, answeredAfter     atomic.Int64
		mu                          sync.Mutex
		failures, uids              []string
		protocols                   = map[string]bool{}
	)
	start := time.Now()
	// kube-proxy picks a replica per connection: A while the endpoints list it, B after.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := *addrA
		if moved.Load() {
			addr, _ = *addrB, dialsB.Add(1)
		} else if dialsA.Add(1); termed.Load() {
			dialsAAfter.Add(1)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	client := &http.Client{Transport: transport(tlsConfig, dial), Timeout: 10 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				uid := fmt.Sprintf("go-%d-%d", c, n)
				body := strings.Replace(string(text), `"UID"`, `"`+uid+`"`, 1)
				resp, err := client.Post(mutateURL(), "application/json", strings.NewReader(body))
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s at %d ms: %v", uid, time.Since(start).Milliseconds(), err))
					mu.Unlock()
					continue
				}
				answerText, readErr := io.ReadAll(resp.Body)
				resp.Body.Close()
				var parsed struct {
					Response struct {
						UID     string `json:"uid"`
						Allowed bool   `json:"allowed"`
					} `json:"response"`
				}
				_ = json.Unmarshal(answerText, &parsed)
				mu.Lock()
				if readErr != nil || resp.StatusCode != 200 || parsed.Response.UID != uid || !parsed.Response.Allowed {
					failures = append(failures, fmt.Sprintf("%s: HTTP %d %v %.200s", uid, resp.StatusCode, readErr, answerText))
				} else {
					uids = append(uids, uid)
					protocols[resp.Proto] = true
				}
				mu.Unlock()
				answered.Add(1)
				if termed.Load() {
					answeredAfter.Add(1)
				}
			}
		}(c)
	}
	time.Sleep(*before)
	termAt := time.Now()
	termed.Store(true)
	if err := syscall.Kill(*pidA, syscall.SIGTERM); err != nil {
		fail(err)
	}
	// The kubelet's readiness probe of A, on a connection of its own.
	probe := &http.Client{Transport: transport(tlsConfig, dialTo(*addrA)), Timeout: time.Second}
	var notReadyAfter time.Duration
	for time.Since(termAt) < 2*time.Second {
		resp, err := probe.Get("https://" + *serverName + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				notReadyAfter = time.Since(termAt)
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var movedAt atomic.Int64
	if notReadyAfter > 0 {
		go func() {
			time.Sleep(*propagation)
			moved.Store(true)
			movedAt.Store(time.Since(termAt).Milliseconds())
		}()
	}
	time.Sleep(*after - time.Since(termAt))
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	s := summary{
		Answered: answered.Load(), AnsweredAfterTerm: answeredAfter.Load(), Failures: failures,
		DialsA: dialsA.Load(), DialsB: dialsB.Load(), DialsAAfterTerm: dialsAAfter.Load(),
		NotReadyAfterMs: notReadyAfter.Milliseconds(), AnsweredUids: uids, SigtermToMoveMs: movedAt.Load(),
	}
	for p := range protocols {
		s.ProtocolsAnswered = append(s.ProtocolsAnswered, p)
	}
	if s.Failures == nil {
		s.Failures = []string{}
	}
	if err := json.NewEncoder(os.Stdout).Encode(s); err != nil {
		fail(err)
	}
}
