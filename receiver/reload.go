package receiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// ListenerChanges says, by listener name, what a reload did: listeners
// added, removed, replaced (bound anew: their endpoint, protocol,
// receiver, line, link supervision or TLS on or off changed; their
// connections were ended) and updated in place (keys, limits, timeouts,
// certificates, allowed sources: their connections stay open and take the
// new settings at their next frame).
type ListenerChanges struct {
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
	Replaced []string `json:"replaced,omitempty"`
	Updated  []string `json:"updated,omitempty"`
}

// ErrListenerNotBound: a reload took effect, but a listener that was to
// take over the address of one it replaced or removed could not bind it
// and is not listening.
var ErrListenerNotBound = errors.New("receiver: reload applied, but a listener could not be bound")

// start runs a bound listener's loops under ctx (Run's, or a reload's),
// each counted in the listener's active group; r.mu is held.
func (r *Receiver) start(ctx context.Context, l *listener) {
	lctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	p := l.pipe()
	if l.tcp != nil {
		l.run("tcp accept", func() { l.acceptLoop(lctx) })
	}
	if l.udp != nil {
		l.udpDone = make(chan struct{})
		l.run("udp read", func() {
			defer close(l.udpDone)
			l.udpLoop(lctx)
		})
	}
	if l.opts.Serial != nil {
		after := l.serialAfter
		l.run("serial line", func() {
			if after != nil {
				select {
				case <-after:
				case <-lctx.Done():
					return
				}
			}
			l.serialLoop(lctx)
		})
	}
	if p.link != nil {
		l.run("link supervision", func() { p.superviseLink(lctx) })
	}
	if l.opts.Submitted {
		r.log.Info("accepting messages over HTTP", zap.String("listener", l.opts.Name), zap.String("protocol", p.protocol),
			zap.Int("receiver", l.opts.Receiver), zap.Int("line", l.opts.Line))
		return
	}
	r.log.Info("listening", zap.String("listener", l.opts.Name), zap.String("protocol", p.protocol),
		zap.String("tcp", addrString(l.tcp)), zap.String("udp", packetAddrString(l.udp)),
		zap.String("serial", serialString(l.opts.Serial)), zap.Int("receiver", l.opts.Receiver), zap.Int("line", l.opts.Line))
}

// run runs f in a tracked goroutine counted in the listener's active
// group; false when shutdown began and f did not start.
func (l *listener) run(name string, f func()) bool {
	l.active.Add(1)
	if !l.r.routines.Go(name, func() { defer l.active.Done(); f() }) {
		l.active.Done()
		return false
	}
	return true
}

// allListeners are the listeners in force and those a reload removed that
// are still finishing their sessions.
func (r *Receiver) allListeners() []*listener {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]*listener(nil), r.listeners()...)
	for l := range r.draining {
		out = append(out, l)
	}
	return out
}

// rebinds reports whether a listener must be bound anew to take next: what
// its socket, its loops or its link supervision were built from changed.
func rebinds(cur, next ListenerOptions) bool {
	return cur.TCP != next.TCP || cur.UDP != next.UDP || !reflect.DeepEqual(cur.Serial, next.Serial) ||
		cur.Submitted != next.Submitted || cur.Codec.Name() != next.Codec.Name() ||
		cur.Receiver != next.Receiver || cur.Line != next.Line ||
		cur.HeartbeatTimeout != next.HeartbeatTimeout || (cur.TLS == nil) != (next.TLS == nil)
}

// heldBy names the addresses a listener's options ask for (not port 0,
// which takes any free port), in bound's form.
func heldBy(lo ListenerOptions) []string {
	var out []string
	if lo.TCP != "" && !anyPort(lo.TCP) {
		out = append(out, "tcp "+lo.TCP)
	}
	if lo.UDP != "" && !anyPort(lo.UDP) {
		out = append(out, "udp "+lo.UDP)
	}
	return out
}

// bound names the addresses a running listener holds, as heldBy does.
func (l *listener) bound() []string {
	var out []string
	if l.tcp != nil {
		out = append(out, "tcp "+l.tcp.Addr().String())
	}
	if l.udp != nil {
		out = append(out, "udp "+l.udp.LocalAddr().String())
	}
	return out
}

// sameAddress reports whether two "network host:port" addresses would
// take one port: the same network and port, and the same host or a
// wildcard (":7000" binds "[::]:7000").
func sameAddress(a, b string) bool {
	na, ha, _ := strings.Cut(a, " ")
	nb, hb, _ := strings.Cut(b, " ")
	hostA, portA, errA := net.SplitHostPort(ha)
	hostB, portB, errB := net.SplitHostPort(hb)
	if na != nb || errA != nil || errB != nil || portA != portB {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	if hostA == hostB || wild(hostA) || wild(hostB) {
		return true
	}
	// A host name (localhost:7000) is bound at its addresses: compare
	// those (the resolver's answer for a name, the address itself else).
	ipsA, ipsB := hostIPs(hostA), hostIPs(hostB)
	for _, x := range ipsA {
		if slices.Contains(ipsB, x) {
			return true
		}
	}
	return false
}

// hostIPs are the addresses host stands for, unmapped; none when a name
// does not resolve within a second.
func hostIPs(host string) []netip.Addr {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips
}

// anyPort: an address with port 0 never conflicts with another.
func anyPort(addr string) bool { return len(addr) >= 2 && addr[len(addr)-2:] == ":0" }

// Reload makes listeners the receiver's listeners, by name, while it runs,
// and queue its queue rules. A listener whose socket can stay is updated
// in place: its connections stay open. A listener that must be bound anew
// is replaced, and one no longer named is removed: each stops accepting,
// lets its sessions finish the frame they hold within the shutdown grace,
// and then closes. Nothing changes when a new listener cannot be bound,
// except where it takes over the address of one being replaced or
// removed: that one is released first, and the error then says which
// listener could not be bound.
func (r *Receiver) Reload(listeners []ListenerOptions, queue QueueRules) (ListenerChanges, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ch ListenerChanges
	if r.runCtx == nil {
		return ch, ErrStopped
	}
	old := r.set.Load()
	seen := map[string]bool{}
	for i := range listeners {
		lo := &listeners[i]
		if seen[lo.Name] {
			return ch, fmt.Errorf("receiver: two listeners named %q", lo.Name)
		}
		seen[lo.Name] = true
		if lo.Codec == nil {
			return ch, fmt.Errorf("receiver: listener %q: no codec", lo.Name)
		}
		*lo = withDefaults(*lo)
	}
	// What goes: removed listeners, and the old side of replaced ones.
	var retiring []*listener
	var freed []string
	for _, l := range old.list {
		keep := false
		for _, lo := range listeners {
			if lo.Name == l.opts.Name && !rebinds(l.opts, lo) {
				keep = true
			}
		}
		if !keep {
			retiring = append(retiring, l)
			freed = append(freed, l.bound()...)
		}
	}
	// Bind first what takes no address being freed; a failure there
	// changes nothing.
	next := &listenerSet{byName: map[string]*listener{}, sources: maps.Clone(old.sources)}
	bound := map[string]*listener{}
	later := map[string]bool{}
	for _, lo := range listeners {
		if cur := old.byName[lo.Name]; cur != nil && !rebinds(cur.opts, lo) {
			continue
		}
		waits := false
		for _, a := range heldBy(lo) {
			for _, f := range freed {
				waits = waits || sameAddress(a, f)
			}
		}
		if waits {
			later[lo.Name] = true
			continue
		}
		l, err := r.bind(lo)
		if err != nil {
			for _, b := range bound {
				b.closeSockets()
			}
			return ch, err
		}
		bound[lo.Name] = l
	}
	// From here the reload takes effect.
	r.queue.Store(&queue)
	for _, l := range retiring {
		r.retire(l)
	}
	var errs []error
	for _, lo := range listeners {
		cur := old.byName[lo.Name]
		switch {
		case cur != nil && !rebinds(cur.opts, lo):
			// The pipeline is always swapped (its codec is built anew from
			// the configuration); it is reported as updated when what it
			// was built from changed.
			p := cur.pipe()
			cur.cur.Store(r.pipelineWith(lo, lo.Codec.Name(), p.link))
			if !reflect.DeepEqual(p.opts.Source, lo.Source) {
				ch.Updated = append(ch.Updated, lo.Name)
			}
			next.add(cur)
			continue
		case later[lo.Name]:
			pc := r.takeUDP(retiring, lo.UDP)
			l, err := r.bindWith(lo, pc)
			if err != nil {
				if pc != nil {
					_ = pc.Close()
				}
				r.log.Error("reload: listener could not be bound; it is not listening", zap.String("listener", lo.Name), zap.Error(err))
				errs = append(errs, fmt.Errorf("%w: %w", ErrListenerNotBound, err))
				continue
			}
			bound[lo.Name] = l
		}
		l := bound[lo.Name]
		next.add(l)
		r.addSource(next, lo.Receiver)
		if lo.Serial != nil {
			// One reader on a serial device at a time: a successor on the
			// same device opens it once the retiring one is done.
			for _, old := range retiring {
				if old.opts.Serial != nil && old.opts.Serial.Device == lo.Serial.Device {
					l.serialAfter = old.drained
				}
			}
		}
		r.start(r.runCtx, l)
		if cur != nil {
			ch.Replaced = append(ch.Replaced, lo.Name)
		} else {
			ch.Added = append(ch.Added, lo.Name)
		}
	}
	for _, l := range old.list {
		if !seen[l.opts.Name] {
			ch.Removed = append(ch.Removed, l.opts.Name)
		}
	}
	r.set.Store(next)
	return ch, errors.Join(errs...)
}

// retire stops a listener a reload removed or replaced: it stops
// accepting at once, its sessions finish the frame they hold (bounded by
// the shutdown grace, then cut), and then its UDP socket closes, unless a
// successor on the same address took it over (takeUDP): a datagram being
// committed is still answered. Its link's series goes unless a supervised
// listener of that name is in force. r.mu is held.
func (r *Receiver) retire(l *listener) {
	if r.draining == nil {
		r.draining = map[*listener]struct{}{}
	}
	r.draining[l] = struct{}{}
	l.drained = make(chan struct{})
	l.stop()
	l.cancel()
	name := l.opts.Name
	drain := func() {
		defer close(l.drained)
		done := make(chan struct{})
		go func() { l.active.Wait(); close(done) }()
		t := time.NewTimer(r.opts.ShutdownGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			r.log.Warn("reload: removed listener's sessions did not finish within the shutdown grace; cut",
				zap.String("listener", name))
			l.closeAll()
			<-done
		}
		if l.udp != nil && !l.handedOver.Load() {
			_ = l.udp.Close()
		}
		r.mu.Lock()
		delete(r.draining, l)
		if cur := r.set.Load().byName[name]; cur == nil || cur.pipe().link == nil {
			r.m.linkUp.DeleteLabelValues(name)
		}
		r.mu.Unlock()
		r.log.Info("listener stopped", zap.String("listener", name))
	}
	if !r.after.Go("retired listener", drain) {
		l.closeAll() // shutdown began: Run's own grace applies
		close(l.drained)
	}
}

// takeUDP hands the UDP socket of a retiring listener bound at addr to its
// successor, once the retiring one's read loop has stopped: datagrams the
// kernel holds are read by the successor, and the replies of those the
// retiring one still commits go out on the same socket. nil when no
// retiring listener holds addr.
func (r *Receiver) takeUDP(retiring []*listener, addr string) net.PacketConn {
	for _, l := range retiring {
		if l.udp == nil || !sameAddress("udp "+addr, "udp "+l.udp.LocalAddr().String()) {
			continue
		}
		select {
		case <-l.udpDone:
		case <-time.After(r.opts.ShutdownGrace):
			return nil // its loop is stuck: the successor binds anew, and fails
		}
		l.handedOver.Store(true)
		_ = l.udp.SetReadDeadline(time.Time{})
		return l.udp
	}
	return nil
}

// closeSockets releases the sockets of a listener that never ran.
func (l *listener) closeSockets() {
	if l.tcp != nil {
		_ = l.tcp.Close()
	}
	if l.udp != nil {
		_ = l.udp.Close()
	}
}
