package diagnose

// Gateways and GatewayClasses: what gateway.go finds. A Gateway whose class does not exist is
// GatewayClassMissing (IGW0102), the code the install checks already use for it.
const (
	// GatewayClassNotAccepted: the GatewayClass's controller did not accept it.
	GatewayClassNotAccepted Code = "IGW1501"
	// GatewayNotReady: the Gateway is not Accepted or not Programmed.
	GatewayNotReady Code = "IGW1502"
	// GatewayNoAddress: the Gateway is programmed but has no address.
	GatewayNoAddress Code = "IGW1503"
)
