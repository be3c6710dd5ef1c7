//! STUB (UI branch only; replaced by the port-forwarding helper's module at merge).
#![allow(dead_code, unused)]
use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::BackendError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRule {
    pub proto: Proto,
    pub host_address: Option<Ipv4Addr>,
    pub host_port: u16,
    pub guest_ip: Ipv4Addr,
    pub guest_port: u16,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    pub installed: bool,
    pub current: bool,
    pub path: PathBuf,
    pub needs_daemon_restart: bool,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleState {
    pub rule: ForwardRule,
    pub active: bool,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForwards {
    pub network: String,
    pub nat: bool,
    pub network_active: bool,
    pub hook: HookStatus,
    pub rules: Vec<RuleState>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortForwardCommand {
    Get { network: String },
    Add { network: String, rule: ForwardRule },
    Remove { network: String, rule: ForwardRule },
    InstallHook,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortForwardEvent {
    State(Result<PortForwards, BackendError>),
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
}
pub fn parse_rule_input(
    proto: Proto,
    host_address: &str,
    host_port: &str,
    guest_ip: &str,
    guest_port: &str,
) -> Result<ForwardRule, BackendError> {
    unimplemented!()
}
