package localenv

// AgentServerTLS issues a serving certificate for agents that the operator
// accepts (AgentTLSServerName, signed by the environment's CA, clients
// checked against the operator's CA), for nodes served outside the
// environment's own agent processes (Options.NoAgents).
func (e *Env) AgentServerTLS(name string) (TLSFiles, error) {
	return e.pki.server(name)
}
