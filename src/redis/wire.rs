//! The census's hot loop on a plain connection of its own: `SCAN`, then
//! one pipeline of `TYPE`, `PTTL` (and `MEMORY USAGE`) per batch, written
//! and read as RESP2 directly. The general client (redis-rs) builds a
//! command object per command and parses every reply through a generic
//! value tree; at a million keys that was more than half the census's own
//! CPU (≈ 2.7 µs of client CPU per key, against ≈ 0.6 here). The commands,
//! and so what the server does, are the same.
//!
//! Used for `redis://` URLs; TLS and Unix-socket connections keep the
//! general client (the census then takes that path, with the same results).

use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::register::ResolvedConnection;

/// The longest first line of a reply read (status, error, a length).
const MAX_LINE: u64 = 1 << 20;

/// One reply, as the census needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A status reply (`+string`), without copying the usual type names.
    Status(std::borrow::Cow<'static, str>),
    /// An error reply: its first word (`NOPERM`, `ERR`), never the rest.
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Reply::Status(s) => Some(s),
            Reply::Bulk(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            other => other.as_str()?.parse().ok(),
        }
    }
}

/// A connection speaking RESP2, one request (or pipeline) at a time.
pub struct Wire {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    out: Vec<u8>,
    line: Vec<u8>,
    timeout: Duration,
}

/// Where a URL points and how to log in, for a plain `redis://` URL.
struct Target {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
    db: u32,
}

fn target(url: &str) -> Option<Target> {
    let u = url::Url::parse(url).ok()?;
    if u.scheme() != "redis" && u.scheme() != "valkey" {
        return None;
    }
    let decode = |s: &str| percent_decode(s).filter(|s| !s.is_empty());
    Some(Target {
        host: u.host_str()?.trim_matches(['[', ']']).to_string(),
        port: u.port().unwrap_or(6379),
        user: decode(u.username()),
        password: u.password().and_then(decode),
        db: u.path().trim_start_matches('/').parse().unwrap_or(0),
    })
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

impl Wire {
    /// Connect, log in and select the URL's database. `None` when the
    /// connection is not plain TCP (`rediss://`, a Unix socket).
    pub async fn open(
        conn: &ResolvedConnection,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> anyhow::Result<Option<Wire>> {
        if conn.tls.is_some() {
            return Ok(None);
        }
        let Some(t) = target(conn.url.expose()) else {
            return Ok(None);
        };
        let stream = tokio::time::timeout(
            connect_timeout,
            TcpStream::connect((t.host.as_str(), t.port)),
        )
        .await
        .map_err(|_| anyhow::anyhow!("connecting timed out"))
        .and_then(|r| r.map_err(anyhow::Error::from))
        .with_context(|| format!("cannot connect to Redis at {}", conn.url))?;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let mut wire = Wire {
            reader: BufReader::with_capacity(256 * 1024, r),
            writer: w,
            out: Vec::with_capacity(256 * 1024),
            line: Vec::with_capacity(64),
            timeout,
        };
        if let Some(password) = &t.password {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = &t.user {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            wire.command(&args);
            if let Reply::Error(code) = wire.exchange(1).await?.remove(0) {
                bail!("Redis at {} refused the login ({code})", conn.url);
            }
        }
        if t.db != 0 {
            let db = t.db.to_string();
            wire.command(&[b"SELECT", db.as_bytes()]);
            if let Reply::Error(code) = wire.exchange(1).await?.remove(0) {
                bail!("Redis at {} refused SELECT {} ({code})", conn.url, t.db);
            }
        }
        Ok(Some(wire))
    }

    /// Queue one command.
    pub fn command(&mut self, args: &[&[u8]]) {
        self.out.push(b'*');
        push_decimal(&mut self.out, args.len());
        self.out.extend_from_slice(b"\r\n");
        for a in args {
            self.out.push(b'$');
            push_decimal(&mut self.out, a.len());
            self.out.extend_from_slice(b"\r\n");
            self.out.extend_from_slice(a);
            self.out.extend_from_slice(b"\r\n");
        }
    }

    /// Send what is queued and read `n` replies (within the timeout).
    pub async fn exchange(&mut self, n: usize) -> anyhow::Result<Vec<Reply>> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            self.writer.write_all(&self.out).await?;
            self.out.clear();
            let mut replies = Vec::with_capacity(n);
            for _ in 0..n {
                replies.push(self.read_reply(0).await?);
            }
            Ok::<_, anyhow::Error>(replies)
        })
        .await
        .map_err(|_| anyhow::anyhow!("Redis did not answer within {timeout:?}"))?
    }

    /// `SCAN cursor COUNT n`.
    pub async fn scan(&mut self, cursor: u64, count: u32) -> anyhow::Result<(u64, Vec<Vec<u8>>)> {
        let (c, n) = (cursor.to_string(), count.to_string());
        self.command(&[b"SCAN", c.as_bytes(), b"COUNT", n.as_bytes()]);
        let reply = self.exchange(1).await?.remove(0);
        if let Reply::Error(code) = &reply {
            bail!("SCAN refused ({code})");
        }
        let Reply::Array(mut parts) = reply else {
            bail!("SCAN: unexpected reply {}", kind(&reply));
        };
        let (Some(Reply::Array(keys)), Some(next)) = (parts.pop(), parts.pop()) else {
            bail!("SCAN: unexpected reply");
        };
        let next = next.as_i64().context("SCAN: unexpected cursor")? as u64;
        let keys = keys
            .into_iter()
            .map(|k| match k {
                Reply::Bulk(b) => Ok(b),
                other => Err(anyhow::anyhow!("SCAN: unexpected key {}", kind(&other))),
            })
            .collect::<anyhow::Result<_>>()?;
        Ok((next, keys))
    }

    fn read_reply(
        &mut self,
        depth: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Reply>> + Send + '_>>
    {
        Box::pin(async move {
            if depth > 8 {
                bail!("reply nested too deep");
            }
            self.line.clear();
            // A reply's first line is short; a server that sends a longer
            // one is not followed into unbounded memory.
            let n = (&mut self.reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut self.line)
                .await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            let line = self
                .line
                .strip_suffix(b"\r\n")
                .context("malformed reply line")?;
            let (&tag, rest) = line.split_first().context("empty reply line")?;
            let number = |rest: &[u8]| -> anyhow::Result<i64> {
                std::str::from_utf8(rest)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .context("malformed number in a reply")
            };
            Ok(match tag {
                b'+' => Reply::Status(match rest {
                    b"string" => "string".into(),
                    b"hash" => "hash".into(),
                    b"list" => "list".into(),
                    b"set" => "set".into(),
                    b"zset" => "zset".into(),
                    b"stream" => "stream".into(),
                    b"none" => "none".into(),
                    b"OK" => "OK".into(),
                    other => String::from_utf8_lossy(other).into_owned().into(),
                }),
                b'-' => Reply::Error(
                    String::from_utf8_lossy(rest.split(|&b| b == b' ').next().unwrap_or(b"ERR"))
                        .into_owned(),
                ),
                b':' => Reply::Int(number(rest)?),
                b'$' => {
                    let len = number(rest)?;
                    if len < 0 {
                        Reply::Nil
                    } else {
                        let len = usize::try_from(len).context("bulk length")?;
                        if len > 512 * 1024 * 1024 {
                            bail!("bulk reply of {len} bytes refused");
                        }
                        let mut b = vec![0; len + 2];
                        self.reader.read_exact(&mut b).await?;
                        b.truncate(len);
                        Reply::Bulk(b)
                    }
                }
                b'*' => {
                    let len = number(rest)?;
                    if len < 0 {
                        Reply::Nil
                    } else {
                        let len = usize::try_from(len).context("array length")?;
                        let mut items = Vec::with_capacity(len.min(65_536));
                        for _ in 0..len {
                            items.push(self.read_reply(depth + 1).await?);
                        }
                        Reply::Array(items)
                    }
                }
                other => bail!("unknown reply type {:?}", char::from(other)),
            })
        })
    }
}

fn kind(r: &Reply) -> &'static str {
    match r {
        Reply::Status(_) => "status",
        Reply::Error(_) => "error",
        Reply::Int(_) => "integer",
        Reply::Bulk(_) => "bulk",
        Reply::Nil => "nil",
        Reply::Array(_) => "array",
    }
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_login_and_db() {
        let t = target("redis://auditor:p%40ss@127.0.0.1:6380/3").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.user.as_deref(),
                t.password.as_deref(),
                t.db
            ),
            ("127.0.0.1", 6380, Some("auditor"), Some("p@ss"), 3)
        );
        let t = target("redis://:secret@[::1]/").unwrap();
        assert_eq!((t.host.as_str(), t.user, t.db), ("::1", None, 0));
        assert!(target("rediss://h/0").is_none());
        assert!(target("redis+unix:///tmp/r.sock").is_none());
    }

    /// A server that answers whatever it is sent with `reply`.
    async fn fake(reply: &'static [u8]) -> (Wire, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(reply).await;
        });
        let conn = ResolvedConnection {
            name: "t".into(),
            kind: crate::register::ConnectionKind::Redis,
            url: crate::register::SecretUrl::new(format!("redis://127.0.0.1:{port}/0")),
            tls: None,
            cluster: false,
            read_from_replicas: false,
            from_command_line: true,
        };
        let w = Wire::open(&conn, Duration::from_secs(5), Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        (w, server)
    }

    #[tokio::test]
    async fn replies_of_every_kind_are_read() {
        let (mut w, _s) = fake(
            b"+string\r\n:-2\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n-NOPERM no\r\n$3\r\n\x00\r\n\r\n",
        )
        .await;
        w.command(&[b"PING"]);
        let r = w.exchange(6).await.unwrap();
        assert_eq!(
            r,
            vec![
                Reply::Status("string".into()),
                Reply::Int(-2),
                Reply::Nil,
                Reply::Array(vec![Reply::Bulk(b"a".to_vec()), Reply::Int(1)]),
                Reply::Error("NOPERM".into()),
                Reply::Bulk(b"\x00\r\n".to_vec()),
            ]
        );
    }

    #[tokio::test]
    async fn a_broken_or_silent_server_is_an_error_not_a_panic() {
        let replies: [&'static [u8]; 4] = [
            b"?what\r\n",
            b"$abc\r\n",
            b":1",
            b"*99999999999999999999\r\n",
        ];
        for reply in replies {
            let (mut w, _s) = fake(reply).await;
            w.command(&[b"PING"]);
            assert!(w.exchange(1).await.is_err());
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0usize, 7, 10, 4096, usize::MAX] {
            let mut v = Vec::new();
            push_decimal(&mut v, n);
            assert_eq!(v, n.to_string().into_bytes());
        }
    }
}
