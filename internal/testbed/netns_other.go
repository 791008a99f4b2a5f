//go:build !linux

package testbed

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

func runInNewNetNS(netip.Addr) (int, error) {
	return 0, fmt.Errorf("%w: network namespaces are Linux's, and this is %s", ErrNoNetNS, runtime.GOOS)
}

func setUpNetNS(netip.Addr) error { return errors.New("network namespaces are Linux's") }
