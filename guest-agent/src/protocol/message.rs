//! The JSON-RPC 2.0 envelope: requests, responses, ids and error codes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The only `jsonrpc` member value we speak.
pub const JSONRPC_VERSION: &str = "2.0";

/// A request id: a number or a string, echoed unchanged in the reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Num(i64),
    Str(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// One request line. Without an `id` it is a notification, which the agent ignores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub jsonrpc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl Request {
    /// A request for `method` with already serialised `params`.
    pub fn new(id: Id, method: &str, params: Value) -> Self {
        Request {
            jsonrpc: JSONRPC_VERSION.into(),
            id: Some(id),
            method: method.into(),
            params: Some(params),
        }
    }

    /// A typed request: `Request::call::<methods::ExecCommand>(id, &params)`.
    pub fn call<M: super::Method>(id: Id, params: &M::Params) -> Self {
        let params = serde_json::to_value(params).expect("params serialise to JSON");
        Self::new(id, M::NAME.as_str(), params)
    }

    /// The request as one line, `\n` included.
    pub fn to_line(&self) -> Vec<u8> {
        to_line(self)
    }
}

/// One reply line: exactly one of `result` and `error` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub jsonrpc: String,
    /// The request's id; `null` when the request could not be read far enough to know it.
    pub id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

impl Response {
    pub fn success(id: Option<Id>, result: Value) -> Self {
        Response {
            jsonrpc: JSONRPC_VERSION.into(),
            id,
            result: Some(result),
            error: None,
        }
    }

    pub fn failure(id: Option<Id>, error: RpcError) -> Self {
        Response {
            jsonrpc: JSONRPC_VERSION.into(),
            id,
            result: None,
            error: Some(error),
        }
    }

    /// Parses one reply line (as a client reads it from the channel).
    pub fn from_line(line: &[u8]) -> Result<Self, RpcError> {
        let response: Response = serde_json::from_slice(line)
            .map_err(|e| RpcError::new(ErrorCode::ParseError, format!("bad reply: {e}")))?;
        if response.jsonrpc != JSONRPC_VERSION {
            return Err(RpcError::new(
                ErrorCode::InvalidRequest,
                "reply is not JSON-RPC 2.0",
            ));
        }
        Ok(response)
    }

    /// The result, or the error the agent sent, or an error when the reply has neither or both.
    pub fn outcome(self) -> Result<Value, RpcError> {
        match (self.result, self.error) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(error),
            _ => Err(RpcError::new(
                ErrorCode::InvalidRequest,
                "reply must have exactly one of result and error",
            )),
        }
    }

    /// The result decoded as method `M`'s result type.
    pub fn into_result<M: super::Method>(self) -> Result<M::Result, RpcError> {
        let value = self.outcome()?;
        serde_json::from_value(value)
            .map_err(|e| RpcError::new(ErrorCode::ParseError, format!("bad result: {e}")))
    }

    /// The reply as one line, `\n` included.
    pub fn to_line(&self) -> Vec<u8> {
        to_line(self)
    }
}

fn to_line<T: Serialize>(value: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(value).expect("message serialises to JSON");
    line.push(b'\n');
    line
}

/// Every error code the protocol uses: JSON-RPC's own and ours (-32001 to -32099).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The line is not JSON (or not UTF-8).
    ParseError,
    /// JSON, but not a request object (also: batches, which we do not support).
    InvalidRequest,
    MethodNotFound,
    InvalidParams,
    Internal,
    /// The method exists but the guest's configuration disables it.
    MethodDisabled,
    /// A path outside the allowed directories, a program not in the allow-list.
    PermissionDenied,
    /// No such file, directory, program or transfer.
    NotFound,
    /// A line, file, chunk or output over its limit.
    TooLarge,
    /// The call or the command ran out of time.
    Timeout,
    /// The program could not be started.
    ExecFailed,
    /// The received file's SHA-256 is not the one announced; nothing was kept.
    ChecksumMismatch,
    /// Too many requests or transfers at once: retry later.
    Busy,
    /// The destination exists and `overwrite` was not set.
    AlreadyExists,
    /// Any other operating-system error (message says which).
    Io,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::Internal,
        ErrorCode::MethodDisabled,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::TooLarge,
        ErrorCode::Timeout,
        ErrorCode::ExecFailed,
        ErrorCode::ChecksumMismatch,
        ErrorCode::Busy,
        ErrorCode::AlreadyExists,
        ErrorCode::Io,
    ];

    pub fn code(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Internal => -32603,
            ErrorCode::MethodDisabled => -32001,
            ErrorCode::PermissionDenied => -32002,
            ErrorCode::NotFound => -32003,
            ErrorCode::TooLarge => -32004,
            ErrorCode::Timeout => -32005,
            ErrorCode::ExecFailed => -32006,
            ErrorCode::ChecksumMismatch => -32007,
            ErrorCode::Busy => -32008,
            ErrorCode::AlreadyExists => -32009,
            ErrorCode::Io => -32010,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// The `error` member of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code: code.code(),
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The code as ours, `None` for a code this version does not know.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// Reads one request line. On failure returns the error to send back and, when the line
/// got far enough to carry one, the id to send it with.
pub fn parse_request(line: &[u8]) -> Result<Request, (Option<Id>, RpcError)> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        (
            None,
            RpcError::new(ErrorCode::ParseError, format!("not JSON: {e}")),
        )
    })?;
    let Value::Object(ref object) = value else {
        let what = if value.is_array() {
            "batches are not supported"
        } else {
            "not an object"
        };
        return Err((None, RpcError::new(ErrorCode::InvalidRequest, what)));
    };
    let id = object
        .get("id")
        .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok());
    let request: Request = serde_json::from_value(value).map_err(|e| {
        (
            id.clone(),
            RpcError::new(ErrorCode::InvalidRequest, e.to_string()),
        )
    })?;
    if request.jsonrpc != JSONRPC_VERSION {
        return Err((
            id,
            RpcError::new(ErrorCode::InvalidRequest, "jsonrpc must be \"2.0\""),
        ));
    }
    if matches!(request.params, Some(ref p) if !p.is_object() && !p.is_null()) {
        return Err((
            id,
            RpcError::new(ErrorCode::InvalidParams, "params must be an object"),
        ));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_codes_round_trip_and_are_distinct() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
        }
        let mut codes: Vec<i64> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::from_code(-1), None);
    }

    #[test]
    fn request_round_trips_with_number_and_string_ids() {
        for id in [Id::Num(7), Id::Num(-3), Id::Str("a-1".into())] {
            let request = Request::new(id.clone(), "ping", json!({}));
            let line = request.to_line();
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            assert_eq!(parse_request(&line[..line.len() - 1]).unwrap(), request);
        }
    }

    #[test]
    fn response_round_trips_and_keeps_null_id() {
        let ok = Response::success(Some(Id::Num(1)), json!({"pong": true}));
        let err = Response::failure(None, RpcError::new(ErrorCode::ParseError, "x"));
        for r in [ok, err] {
            let line = r.to_line();
            assert_eq!(Response::from_line(&line).unwrap(), r);
        }
        let text = String::from_utf8(
            Response::failure(None, RpcError::new(ErrorCode::Busy, "b")).to_line(),
        )
        .unwrap();
        assert!(text.contains("\"id\":null"), "{text}");
        assert!(text.contains("-32008"), "{text}");
    }

    #[test]
    fn outcome_needs_exactly_one_member() {
        let both = Response {
            error: Some(RpcError::new(ErrorCode::Io, "x")),
            ..Response::success(Some(Id::Num(1)), json!(1))
        };
        assert_eq!(
            both.outcome().unwrap_err().kind(),
            Some(ErrorCode::InvalidRequest)
        );
        let neither: Response = serde_json::from_str(r#"{"jsonrpc":"2.0","id":1}"#).unwrap();
        assert!(neither.outcome().is_err());
    }

    #[test]
    fn bad_lines_get_the_right_codes() {
        let kind = |line: &str| {
            parse_request(line.as_bytes())
                .unwrap_err()
                .1
                .kind()
                .unwrap()
        };
        assert_eq!(kind("{nope"), ErrorCode::ParseError);
        assert_eq!(kind("[1,2]"), ErrorCode::InvalidRequest);
        assert_eq!(kind("42"), ErrorCode::InvalidRequest);
        assert_eq!(
            kind(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1}"#),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#),
            ErrorCode::InvalidParams
        );
        assert_eq!(
            parse_request(b"\xff\xfe").unwrap_err().1.kind(),
            Some(ErrorCode::ParseError)
        );
    }

    #[test]
    fn id_survives_an_invalid_request() {
        let (id, _) = parse_request(br#"{"jsonrpc":"2.0","id":"x","method":5}"#).unwrap_err();
        assert_eq!(id, Some(Id::Str("x".into())));
    }

    #[test]
    fn missing_id_is_a_notification() {
        let r = parse_request(br#"{"jsonrpc":"2.0","method":"ping"}"#).unwrap();
        assert_eq!(r.id, None);
    }
}
