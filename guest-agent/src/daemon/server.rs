//! The connection loop: read lines, answer each request on its own task, write whole
//! reply lines through one writer.
//!
//! At most [`limits::MAX_IN_FLIGHT`] requests run at once; one past that is answered
//! `Busy` at once. A reply too big for a line is replaced by a `TooLarge` error.

use super::{dispatch, log, State};
use kvm_guest_agent::framing::{Frame, LineDecoder};
use kvm_guest_agent::protocol::{limits, parse_request, Call, ErrorCode, Id, Response, RpcError};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};

/// What happens to requests still running when the peer's side reaches end of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnEof {
    /// Finish them and send their replies (stdio: the peer only closed its writing side).
    Drain,
    /// Drop their replies (device: the host went away and will reconnect).
    Drop,
}

/// Serves one connection until end of input or a read error.
pub async fn serve<R, W>(mut reader: R, mut writer: W, state: Arc<State>, on_eof: OnEof)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // A short queue: a finished request keeps its permit until its reply is queued, so a
    // host that stops reading holds at most MAX_IN_FLIGHT + 8 replies in the guest's memory.
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(8);
    let writer_task = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            if let Err(e) = async {
                writer.write_all(&line).await?;
                writer.flush().await
            }
            .await
            {
                log::warn(&format!("reply not sent: {e}"));
                return;
            }
        }
    });
    let permits = Arc::new(Semaphore::new(limits::MAX_IN_FLIGHT));
    let mut decoder = LineDecoder::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                log::warn(&format!("read failed: {e}"));
                break;
            }
        };
        for frame in decoder.push(&buf[..n]) {
            match frame {
                Frame::Overlong => {
                    let e = RpcError::new(
                        ErrorCode::TooLarge,
                        format!(
                            "line longer than {} bytes discarded",
                            limits::MAX_LINE_BYTES
                        ),
                    );
                    log::call(
                        "null",
                        "-",
                        "",
                        &outcome::<()>(&Err(e.clone())),
                        Default::default(),
                    );
                    let _ = tx.send(Response::failure(None, e).to_line()).await;
                }
                Frame::Line(line) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let (state, tx) = (state.clone(), tx.clone());
                        tokio::spawn(async move {
                            if let Some(reply) = handle_line(&state, &line).await {
                                if tx.send(reply).await.is_err() {
                                    log::warn("reply dropped: the host went away");
                                }
                            }
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        let id = parse_request(&line).ok().and_then(|r| r.id);
                        let e = RpcError::new(ErrorCode::Busy, "too many requests in flight");
                        let _ = tx.send(Response::failure(id, e).to_line()).await;
                    }
                },
            }
        }
    }
    drop(tx);
    match on_eof {
        OnEof::Drain => {
            let _ = writer_task.await;
        }
        OnEof::Drop => writer_task.abort(),
    }
}

/// One request line in, its reply line out (`None` for a notification).
pub async fn handle_line(state: &Arc<State>, line: &[u8]) -> Option<Vec<u8>> {
    let start = Instant::now();
    let request = match parse_request(line) {
        Ok(r) => r,
        Err((id, e)) => {
            let shown = id.as_ref().map_or("null".into(), Id::to_string);
            let result = outcome::<()>(&Err(e.clone()));
            log::call(&shown, "-", "", &result, start.elapsed());
            return Some(Response::failure(id, e).to_line());
        }
    };
    let Some(id) = request.id else {
        log::warn(&format!("notification {:?} ignored", request.method));
        return None;
    };
    let (result, detail) = match Call::parse(&request.method, request.params) {
        Ok(call) => {
            let detail = dispatch::detail(&call);
            (dispatch::dispatch(state, call).await, detail)
        }
        Err(e) => (Err(e), String::new()),
    };
    log::call(
        &id.to_string(),
        &request.method,
        &detail,
        &outcome(&result),
        start.elapsed(),
    );
    let mut reply = match result {
        Ok(out) => {
            let mut line = Response::success(Some(id.clone()), out.value).to_line();
            if let Some(data) = out.data {
                splice_data(&mut line, &data);
            }
            line
        }
        Err(e) => Response::failure(Some(id.clone()), e).to_line(),
    };
    if reply.len() > limits::MAX_LINE_BYTES {
        let e = RpcError::new(ErrorCode::TooLarge, "the reply would exceed the line limit");
        reply = Response::failure(Some(id), e).to_line();
    }
    Some(reply)
}

/// Writes base64 `data` between the quotes of the line's empty `"data":""` member. Only a
/// member name can be followed by `":` unescaped, and the result is the last member of
/// the reply, so the last match is the member.
fn splice_data(line: &mut Vec<u8>, data: &str) {
    debug_assert!(data
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
    let at = memchr::memmem::rfind(line, br#""data":"""#).expect("a data member") + 8;
    let mut out = Vec::with_capacity(line.len() + data.len());
    out.extend_from_slice(&line[..at]);
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(&line[at..]);
    *line = out;
}

fn outcome<T>(result: &Result<T, RpcError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(e) => format!("error({}) {:?}", e.code, e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::splice_data;
    use kvm_guest_agent::protocol::types::FileReadResult;
    use kvm_guest_agent::protocol::{Id, Response};

    #[test]
    fn a_spliced_chunk_reads_back_as_the_plain_reply() {
        let full = FileReadResult {
            transfer: Some(3),
            size: 10,
            mode: 0o644,
            offset: 0,
            data: "AAECAwQFBgcICQ==".into(),
            eof: true,
            sha256: Some("ab".repeat(32)),
        };
        let tricky_id = Id::Str(r#""data":"" and "data":"#.into());
        let mut empty = full.clone();
        empty.data.clear();
        let mut line = Response::success(
            Some(tricky_id.clone()),
            serde_json::to_value(&empty).unwrap(),
        )
        .to_line();
        splice_data(&mut line, &full.data);
        let plain = Response::success(Some(tricky_id), serde_json::to_value(&full).unwrap());
        assert_eq!(Response::from_line(&line).unwrap(), plain);
        assert_eq!(line, plain.to_line());
    }
}
