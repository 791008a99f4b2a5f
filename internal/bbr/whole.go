package bbr

import "github.com/igw-dev/igw/internal/bbr/scan"

// DecideBody is bbr's answer to a request whose whole body is at hand, reached as BUFFERED mode
// reaches it: the same scanner, limits, error mapping and policy, so a prediction (`igwctl route
// simulate`) cannot disagree with what a running bbr does. It is off the request path: sessions
// feed the scanner chunk by chunk themselves.
func (p *Policy) DecideBody(body []byte, maxBodyBytes int) (Decision, *Reject) {
	sc := scan.New(p.fields, p.scanLimit())
	if rej := scanWhole(sc, body, maxBodyBytes); rej != nil {
		return Decision{}, rej
	}
	if err := sc.Finish(); err != nil {
		return Decision{}, rejectScan(err)
	}
	return p.Decide(sc, nil)
}
