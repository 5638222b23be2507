//! A request body that names no length (HTTP/1.1 chunked) is cut off with
//! 413 once it passes the limit, while it streams: the worker never reads it
//! whole first. Raw HTTP over TCP, so the test controls every byte sent.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{base_url, dropped_by_the_dev_proxy, unique_email};
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the server answered: its status line, and its body (the text after
/// the head). Empty when it closed the connection without a word.
struct Answer {
    status_line: String,
    body: String,
}

impl Answer {
    /// wrangler's dev proxy losing the request, not the worker answering:
    /// a 500 or 503 of its own, or the connection closed with no answer.
    fn dropped_by_the_dev_proxy(&self) -> bool {
        let code = self.status_line.split(' ').nth(1).unwrap_or_default();
        match code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
        {
            Some(status) => dropped_by_the_dev_proxy(status, &self.body),
            None => self.status_line.is_empty(),
        }
    }
}

/// How a test body ends.
#[derive(Clone, Copy, PartialEq)]
enum Ending {
    /// The last chunk is sent: the body is complete.
    Complete,
    /// Nothing more is ever sent, and the connection stays open: a body
    /// that never ends. Only a server that stops reading at its limit
    /// answers; one that reads the body whole waits for ever.
    Never,
}

/// Sends a sign-up with a chunked body of `total` bytes (a JSON string that
/// never ends), and answers what the server sends back (it closes the
/// connection after its answer: `Connection: close`).
async fn chunked_signup(total: usize, ending: Ending) -> Answer {
    let url = reqwest::Url::parse(&base_url()).expect("the stack's URL");
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(80)
    );
    let stream = TcpStream::connect(&host)
        .await
        .expect("connect to the stack");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/users/signup HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let start = format!("{{\"email\":\"{}\",\"password\":\"", unique_email());
        let mut sent = 0;
        let mut chunk = start.into_bytes();
        while sent < total {
            writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            writer.write_all(&chunk).await?;
            writer.write_all(b"\r\n").await?;
            sent += chunk.len();
            chunk = vec![b'a'; 64 * 1024];
        }
        if ending == Ending::Never {
            // Stalled, not closed: the body is still under way.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        writer.write_all(b"0\r\n\r\n").await?;
        std::io::Result::Ok(sent)
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    sender.abort();
    let text = String::from_utf8_lossy(&answer);
    if read.is_err() && text.is_empty() {
        return Answer {
            status_line: "no answer within 20 s".into(),
            body: String::new(),
        };
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Answer {
        status_line: head.lines().next().unwrap_or_default().to_string(),
        body: body.to_string(),
    }
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_with_413_while_it_streams() {
    // 256 KiB (16 times the limit) of a body that never ends: a worker that
    // read bodies whole would wait for its end and never answer. The upload
    // stalls rather than streams on, because wrangler's dev proxy loses an
    // answer that comes while it is still passing the upload on (its fetch
    // to the worker fails mid-upload; the real edge passes it on): when it
    // does, the request is tried again.
    let mut dropped = Vec::new();
    for _ in 0..10 {
        let answer = chunked_signup(256 * 1024, Ending::Never).await;
        if answer.status_line.contains(" 413 ") {
            return;
        }
        assert!(
            answer.dropped_by_the_dev_proxy(),
            "{} {}",
            answer.status_line,
            answer.body
        );
        dropped.push(answer.status_line);
    }
    panic!("no 413 in ten tries, the dev proxy dropped each: {dropped:?}");
}

#[tokio::test]
async fn a_small_chunked_body_is_read_as_usual() {
    let answer = chunked_signup(1, Ending::Complete).await;
    // The body is one unfinished JSON string: a 400, not a 413.
    assert!(
        answer.status_line.contains(" 400 "),
        "{}",
        answer.status_line
    );
}
