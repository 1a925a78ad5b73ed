package sim

import (
	crmsim "custgraph/internal/sim/crm"
	u8sim "custgraph/internal/sim/u8"
	ycmsim "custgraph/internal/sim/ycm"
)

// GatewaySettings are the CUSTGRAPH_* settings that point a gateway at
// the simulators served at base (base URL and demo credentials of each
// vendor), production mode (CUSTGRAPH_DEMO off): what tests, the
// benchmarks and the evaluation start custgraph with.
func GatewaySettings(base string) map[string]string {
	return map[string]string{
		"CUSTGRAPH_DEMO":        "off",
		"CUSTGRAPH_U8_BASE_URL": base + "/u8", "CUSTGRAPH_U8_FROM_ACCOUNT": u8sim.DemoFromAccount,
		"CUSTGRAPH_U8_TO_ACCOUNT": u8sim.DemoToAccount, "CUSTGRAPH_U8_APP_KEY": u8sim.DemoAppKey,
		"CUSTGRAPH_U8_APP_SECRET": u8sim.DemoAppSecret,
		"CUSTGRAPH_YCM_BASE_URL":  base + "/ycm", "CUSTGRAPH_YCM_CLIENT_ID": ycmsim.DemoClientID,
		"CUSTGRAPH_YCM_CLIENT_SECRET": ycmsim.DemoClientSecret,
		"CUSTGRAPH_CRM_BASE_URL":      base + "/crm", "CUSTGRAPH_CRM_LOGIN": crmsim.DemoLogin,
		"CUSTGRAPH_CRM_PASSWORD": crmsim.DemoPassword,
	}
}
