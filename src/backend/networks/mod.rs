//! STUB (UI branch only; replaced by the networks helper's module at merge).
#![allow(dead_code, unused)]
use std::net::IpAddr;

use super::BackendError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetMode {
    Nat,
    Route,
    Isolated,
    Open,
    Bridge,
    Other(String),
}
impl NetMode {
    pub fn label(&self) -> String {
        String::new()
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpHost {
    pub mac: String,
    pub ip: IpAddr,
    pub name: Option<String>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpConfig {
    pub address: IpAddr,
    pub prefix: u8,
    pub dhcp_ranges: Vec<(IpAddr, IpAddr)>,
    pub hosts: Vec<DhcpHost>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub name: String,
    pub uuid: String,
    pub mode: NetMode,
    pub bridge: Option<String>,
    pub forward_dev: Option<String>,
    pub ipv4: Option<IpConfig>,
    pub ipv6: Option<IpConfig>,
    pub domain: Option<String>,
    pub active: bool,
    pub autostart: bool,
    pub persistent: bool,
    pub vms: Vec<String>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetSpec {
    pub cidr: String,
    pub dhcp: Option<(String, String)>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub name: String,
    pub mode: NetMode,
    pub host_bridge: Option<String>,
    pub forward_dev: Option<String>,
    pub ipv4: Option<SubnetSpec>,
    pub ipv6: Option<SubnetSpec>,
    pub domain: Option<String>,
    pub autostart: bool,
    pub start: bool,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub mac: String,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
    pub expiry: Option<i64>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetAction {
    Start,
    Stop,
    Autostart(bool),
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkCommand {
    List,
    Create(NetworkSpec),
    Action {
        name: String,
        action: NetAction,
    },
    Delete {
        name: String,
    },
    AddDhcpHost {
        name: String,
        host: DhcpHost,
    },
    RemoveDhcpHost {
        name: String,
        mac: String,
    },
    SetDhcpRange {
        name: String,
        start: String,
        end: String,
    },
    Leases {
        name: String,
    },
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEvent {
    List(Result<Vec<NetworkInfo>, BackendError>),
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
    Leases {
        name: String,
        result: Result<Vec<Lease>, BackendError>,
    },
}
pub fn host_bridges() -> Vec<String> {
    Vec::new()
}
