//! Method names, and each method tied to its parameter and result types.
//!
//! A client calls `Request::call::<methods::GetSystemInfo>(id, &NoParams {})` and reads
//! `response.into_result::<methods::GetSystemInfo>()`; the agent turns a request into a
//! [`Call`] with [`Call::parse`] and matches on it.

use super::message::{ErrorCode, RpcError};
use super::types::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Every method of protocol version 1, in the order `get_agent_info` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Ping,
    GetAgentInfo,
    GetSystemInfo,
    GetNetworkInfo,
    GetDiskUsage,
    GetMetrics,
    ListProcesses,
    ExecCommand,
    FileRead,
    FileWrite,
    Shutdown,
    Reboot,
}

impl MethodName {
    pub const ALL: [MethodName; 12] = [
        MethodName::Ping,
        MethodName::GetAgentInfo,
        MethodName::GetSystemInfo,
        MethodName::GetNetworkInfo,
        MethodName::GetDiskUsage,
        MethodName::GetMetrics,
        MethodName::ListProcesses,
        MethodName::ExecCommand,
        MethodName::FileRead,
        MethodName::FileWrite,
        MethodName::Shutdown,
        MethodName::Reboot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MethodName::Ping => "ping",
            MethodName::GetAgentInfo => "get_agent_info",
            MethodName::GetSystemInfo => "get_system_info",
            MethodName::GetNetworkInfo => "get_network_info",
            MethodName::GetDiskUsage => "get_disk_usage",
            MethodName::GetMetrics => "get_metrics",
            MethodName::ListProcesses => "list_processes",
            MethodName::ExecCommand => "exec_command",
            MethodName::FileRead => "file_read",
            MethodName::FileWrite => "file_write",
            MethodName::Shutdown => "shutdown",
            MethodName::Reboot => "reboot",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method's name and types, for typed calls on the client side.
pub trait Method {
    const NAME: MethodName;
    type Params: Serialize + DeserializeOwned;
    type Result: Serialize + DeserializeOwned;
}

macro_rules! methods {
    ($($marker:ident => $params:ty, $result:ty;)*) => {
        $(
            #[doc = concat!("Marker for `", stringify!($marker), "`: see [`Method`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $marker;
            impl Method for $marker {
                const NAME: MethodName = MethodName::$marker;
                type Params = $params;
                type Result = $result;
            }
        )*

        /// A request's method with its parameters decoded.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Call {
            $($marker($params),)*
        }

        impl Call {
            /// Decodes `params` for `method`: unknown names are `MethodNotFound`, params
            /// of the wrong shape `InvalidParams`. Absent or `null` params count as `{}`.
            pub fn parse(method: &str, params: Option<Value>) -> Result<Call, RpcError> {
                let name = MethodName::from_name(method).ok_or_else(|| {
                    RpcError::new(ErrorCode::MethodNotFound, format!("no method {method:?}"))
                })?;
                let params = match params {
                    None | Some(Value::Null) => Value::Object(Default::default()),
                    Some(p) => p,
                };
                let bad = |e: serde_json::Error| {
                    RpcError::new(ErrorCode::InvalidParams, format!("{method}: {e}"))
                };
                Ok(match name {
                    $(MethodName::$marker => Call::$marker(serde_json::from_value(params).map_err(bad)?),)*
                })
            }

            pub fn name(&self) -> MethodName {
                match self {
                    $(Call::$marker(_) => MethodName::$marker,)*
                }
            }
        }
    };
}

methods! {
    Ping => NoParams, PingResult;
    GetAgentInfo => NoParams, AgentInfo;
    GetSystemInfo => NoParams, SystemInfoResult;
    GetNetworkInfo => NoParams, NetworkInfoResult;
    GetDiskUsage => NoParams, DiskUsageResult;
    GetMetrics => NoParams, MetricsResult;
    ListProcesses => NoParams, ProcessListResult;
    ExecCommand => ExecParams, ExecResult;
    FileRead => FileReadParams, FileReadResult;
    FileWrite => FileWriteParams, FileWriteResult;
    Shutdown => NoParams, PowerResult;
    Reboot => NoParams, PowerResult;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{parse_request, Id, Request};
    use serde_json::json;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for m in MethodName::ALL {
            assert_eq!(MethodName::from_name(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
        }
        assert_eq!(MethodName::from_name("Ping"), None);
    }

    #[test]
    fn typed_request_parses_back_into_the_same_call() {
        let params = ExecParams {
            argv: vec!["/bin/echo".into(), "hi".into()],
            timeout_secs: Some(5),
            ..Default::default()
        };
        let line = Request::call::<ExecCommand>(Id::Num(3), &params).to_line();
        let request = parse_request(&line[..line.len() - 1]).unwrap();
        let call = Call::parse(&request.method, request.params).unwrap();
        assert_eq!(call, Call::ExecCommand(params));
        assert_eq!(call.name(), MethodName::ExecCommand);
    }

    #[test]
    fn params_may_be_absent_null_or_empty_but_not_unknown() {
        for p in [None, Some(Value::Null), Some(json!({}))] {
            assert_eq!(Call::parse("ping", p).unwrap(), Call::Ping(NoParams {}));
        }
        let err = Call::parse("ping", Some(json!({"x": 1}))).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
        let err = Call::parse("exec_command", Some(json!({"argv": "ls"}))).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
        let err = Call::parse("file_read", Some(json!({"path": "/a", "bogus": true}))).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
    }

    #[test]
    fn unknown_method_is_not_found() {
        let err = Call::parse("rm_rf", None).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::MethodNotFound));
    }

    #[test]
    fn every_result_type_round_trips() {
        let info = AgentInfo {
            name: "kvm-guest-agent".into(),
            version: "0.1.0".into(),
            protocol: crate::protocol::PROTOCOL_NAME.into(),
            protocol_version: 1,
            os: "linux".into(),
            arch: "x86_64".into(),
            methods: vec!["ping".into()],
            capabilities: Capabilities {
                max_line_bytes: 1,
                max_chunk_bytes: 2,
                max_in_flight: 3,
                exec_enabled: false,
                exec_allowed_programs: vec![],
                max_exec_output_bytes: 4,
                max_exec_timeout_secs: 5,
                file_dirs: vec!["/srv".into()],
                max_file_bytes: 6,
            },
        };
        let v = serde_json::to_value(&info).unwrap();
        assert_eq!(serde_json::from_value::<AgentInfo>(v).unwrap(), info);
        let read = FileReadResult {
            transfer: Some(1),
            size: 3,
            mode: 0o644,
            offset: 0,
            data: "YWJj".into(),
            eof: true,
            sha256: Some("00".into()),
        };
        let v = serde_json::to_value(&read).unwrap();
        assert_eq!(serde_json::from_value::<FileReadResult>(v).unwrap(), read);
        // A newer agent's extra member does not break an older client.
        let mut v = serde_json::to_value(PingResult { pong: true }).unwrap();
        v["new_member"] = json!(1);
        assert!(serde_json::from_value::<PingResult>(v).is_ok());
    }

    #[test]
    fn typed_response_decodes() {
        let line =
            crate::protocol::Response::success(Some(Id::Num(1)), json!({"pong": true})).to_line();
        let response = crate::protocol::Response::from_line(&line).unwrap();
        assert_eq!(
            response.into_result::<Ping>().unwrap(),
            PingResult { pong: true }
        );
    }
}
