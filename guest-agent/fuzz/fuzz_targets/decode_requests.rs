//! Bytes as they might arrive on the channel, cut into reads of fuzzer-chosen sizes, through
//! the line decoder and on into request parsing and method decoding: nothing may panic,
//! the decoder never holds more than its maximum, and every line it yields is within it.

#![no_main]

use kvm_guest_agent::framing::{Frame, LineDecoder};
use kvm_guest_agent::protocol::{parse_request, Call, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    // A small maximum so over-long lines are common; the read size varies too.
    let max = 16 + usize::from(first) * 8;
    let step = 1 + usize::from(first % 13);
    let mut decoder = LineDecoder::new(max);
    for chunk in rest.chunks(step) {
        for frame in decoder.push(chunk) {
            assert!(decoder.pending() <= max);
            let Frame::Line(line) = frame else {
                continue;
            };
            assert!(line.len() <= max && !line.contains(&b'\n'));
            check_line(&line);
        }
    }
    // The whole input as one line too, unbounded by the small maximum.
    check_line(rest);
});

fn check_line(line: &[u8]) {
    match parse_request(line) {
        Ok(request) => {
            if let Ok(call) = Call::parse(&request.method, request.params.clone()) {
                assert_eq!(call.name().as_str(), request.method);
            }
            // What parses must serialise back to one line that parses again.
            let again = request.to_line();
            assert_eq!(again.iter().filter(|&&b| b == b'\n').count(), 1);
            assert!(parse_request(&again[..again.len() - 1]).is_ok());
        }
        Err((_, error)) => assert!(error.kind().is_some()),
    }
    if let Ok(response) = Response::from_line(line) {
        let _ = response.outcome();
    }
}
