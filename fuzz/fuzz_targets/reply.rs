//! Reply framing: any bytes, split anywhere, must frame the same way and never panic.
#![no_main]
use ferry::ftp::reply::{ReplyDecoder, MAX_LINE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize) % (data.len() + 1);
    let mut whole = ReplyDecoder::new();
    whole.feed(data);
    let mut parts = ReplyDecoder::new();
    parts.feed(&data[..split]);
    let mut a = Vec::new();
    while let Ok(Some(r)) = whole.next_reply() {
        assert!(r.lines.iter().all(|l| l.len() <= MAX_LINE));
        a.push(r);
    }
    let mut b = Vec::new();
    while let Ok(Some(r)) = parts.next_reply() {
        b.push(r);
    }
    parts.feed(&data[split..]);
    while let Ok(Some(r)) = parts.next_reply() {
        b.push(r);
    }
    // Splitting can only change what is reported before an error, never the replies.
    let n = a.len().min(b.len());
    assert_eq!(a[..n], b[..n]);
});
