//! Value reads bounded in bytes, not only in elements, against a real
//! Redis: pages of big elements hold fewer of them, each cut to the
//! element budget; a hash's values too big for a page are not read at
//! all; paging still reads every element once; the census's sample finds
//! personal data at the start of big values without reading them whole;
//! a user without `MEMORY USAGE` or `HRANDFIELD` still reads in bounds.

mod common;

use std::collections::BTreeSet;

use oubli::pii::Kind;
use oubli::redis::census::{self, SampleOptions};
use oubli::redis::values::{
    read_value_page, run_readers, Budget, Extent, ReadLimits, Reader, ValueView, ELEMENT_BYTES,
    PAGE_BYTES,
};
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;

use common::TestRedis;

const MB: usize = 1024 * 1024;

/// `n` elements of `size` bytes, each starting with its number and an
/// e-mail address, so that each is told apart and the detector has work.
fn element(i: usize, size: usize) -> Vec<u8> {
    let mut e = format!("{i:04} jane.doe@example.com ").into_bytes();
    e.resize(size, b'x');
    e
}

async fn seed(con: &mut MultiplexedConnection, ty: &str, key: &str, n: usize, size: usize) {
    for i in 0..n {
        let mut cmd = match ty {
            "list" => redis::cmd("RPUSH"),
            "hash" => redis::cmd("HSET"),
            "set" => redis::cmd("SADD"),
            "zset" => redis::cmd("ZADD"),
            _ => redis::cmd("XADD"),
        };
        cmd.arg(key);
        match ty {
            "hash" => cmd.arg(format!("field{i:02}")),
            "zset" => cmd.arg(i),
            "stream" => cmd.arg("*").arg("payload"),
            _ => &mut cmd,
        };
        let _: redis::Value = cmd.arg(element(i, size)).query_async(con).await.unwrap();
    }
}

/// Every page of a value, from the start; at most `max` pages.
async fn pages(con: &mut MultiplexedConnection, key: &str, max: usize) -> Vec<ValueView> {
    let mut out = Vec::new();
    let mut from: Option<String> = None;
    for _ in 0..max {
        let p = read_value_page(con, key.as_bytes(), ReadLimits::default(), from.as_deref())
            .await
            .unwrap();
        from = p.next.clone();
        out.push(p);
        if from.is_none() {
            break;
        }
    }
    out
}

/// The number each element's text starts with (after a stream's label).
fn numbers(views: &[ValueView]) -> Vec<usize> {
    views
        .iter()
        .flat_map(|v| &v.lines)
        .filter_map(|l| l.text.get(..4).and_then(|n| n.parse().ok()))
        .collect()
}

/// One page read by a bare reader: what it received, and its elements.
async fn one_page(con: &mut MultiplexedConnection, key: &str, ty: &str) -> (usize, Reader) {
    let len_cmd = match ty {
        "list" => "LLEN",
        "hash" => "HLEN",
        "set" => "SCARD",
        "zset" => "ZCARD",
        _ => "XLEN",
    };
    let (len, memory): (u64, u64) = redis::pipe()
        .cmd(len_cmd)
        .arg(key)
        .cmd("MEMORY")
        .arg("USAGE")
        .arg(key)
        .query_async(con)
        .await
        .unwrap();
    let mut r = [Reader::new(
        key.as_bytes(),
        ty,
        len,
        Some(memory),
        None,
        Budget::from(ReadLimits::default()),
    )
    .unwrap()];
    run_readers(con, &mut r, PAGE_BYTES).await.unwrap();
    let [r] = r;
    (r.received(), r)
}

/// 20 elements of 2 MB in a list, a set, a sorted set and a stream: a page
/// receives one element (it arrives whole: it cannot be cut by the
/// server; `SSCAN COUNT 1` gives a whole bucket of the set's table, a few
/// at most) instead of 200, keeps its first 16 KiB of each and says its
/// size; the pages together read every element once.
#[tokio::test(flavor = "multi_thread")]
async fn big_elements_make_small_pages() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    for ty in ["list", "set", "zset", "stream"] {
        let key = format!("big:{ty}");
        seed(&mut con, ty, &key, 20, 2 * MB).await;
        let most = if ty == "set" { 6 } else { 1 };
        let (received, reader) = one_page(&mut con, &key, ty).await;
        assert!(
            received <= most * (2 * MB + 64),
            "{ty}: {received} bytes received for one page"
        );
        assert!(
            !reader.items.is_empty() && reader.items.len() <= most,
            "{ty}"
        );
        for e in &reader.items {
            assert_eq!(e.bytes.len(), ELEMENT_BYTES, "{ty}");
            assert_eq!(
                e.extent,
                Extent::Cut {
                    stored: 2 * MB as u64
                },
                "{ty}"
            );
        }
        let views = pages(&mut con, &key, 40).await;
        let mut seen = numbers(&views);
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..20).collect::<Vec<_>>(),
            "{ty}: every element once"
        );
        for v in &views {
            let kept: usize = v.lines.iter().map(|l| l.text.len()).sum();
            assert!(
                kept <= most * (ELEMENT_BYTES + 2048),
                "{ty}: {kept} bytes kept"
            );
            for l in &v.lines {
                assert_eq!(
                    l.extent,
                    Extent::Cut {
                        stored: 2 * MB as u64
                    },
                    "{ty}"
                );
                assert!(l.hits.iter().any(|(k, _)| *k == Kind::Email), "{ty}");
            }
        }
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut con)
            .await
            .unwrap();
    }
}

/// A hash's values are measured first (HSTRLEN): one larger than a page
/// is never read (its size is shown); smaller ones are read while the
/// page's budget lasts, and the next page goes on from the first left.
#[tokio::test(flavor = "multi_thread")]
async fn hash_values_are_measured_before_they_are_read() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    seed(&mut con, "hash", "big:hash", 20, 2 * MB).await;
    let (received, reader) = one_page(&mut con, "big:hash", "hash").await;
    assert!(
        received < 1024,
        "{received} bytes received: only field names"
    );
    assert_eq!(reader.items.len(), 20);
    for e in &reader.items {
        assert!(e.bytes.is_empty());
        assert_eq!(
            e.extent,
            Extent::NotRead {
                stored: 2 * MB as u64
            }
        );
    }
    let views = pages(&mut con, "big:hash", 5).await;
    assert_eq!(views.len(), 1, "every field listed on one page");
    let labels: Vec<&str> = views[0]
        .lines
        .iter()
        .filter_map(|l| l.label.as_deref())
        .collect();
    assert_eq!(labels.first(), Some(&"field00"), "fields sorted");
    assert_eq!(labels.len(), 20);

    // 100 KB values: two fit a page, each cut to 16 KiB; ten pages, each
    // field once, in order.
    seed(&mut con, "hash", "mid:hash", 20, 100 * 1024).await;
    let views = pages(&mut con, "mid:hash", 40).await;
    assert_eq!(views.len(), 10);
    assert_eq!(views[0].next.as_deref(), Some("i2"));
    assert_eq!(numbers(&views), (0..20).collect::<Vec<_>>());
    for l in views.iter().flat_map(|v| &v.lines) {
        assert_eq!(l.extent, Extent::Cut { stored: 100 * 1024 });
        assert!(l.text.len() <= ELEMENT_BYTES);
    }

    // A big hash (more fields than a page) pages by HSCAN cursor.
    let mut pipe = redis::pipe();
    for i in 0..1_000 {
        pipe.cmd("HSET")
            .arg("many:hash")
            .arg(format!("f{i}"))
            .arg("v")
            .ignore();
    }
    let _: () = pipe.query_async(&mut con).await.unwrap();
    let views = pages(&mut con, "many:hash", 100).await;
    let fields: BTreeSet<&str> = views
        .iter()
        .flat_map(|v| &v.lines)
        .filter_map(|l| l.label.as_deref())
        .collect();
    assert_eq!(fields.len(), 1_000);
    assert!(views.len() >= 5);
}

/// A list of small elements with big ones in the middle: the windows
/// follow what arrives, each page keeps to its budget, and paging reads
/// each element once. (A window sized on small elements still receives
/// the big ones it meets whole: the reply cannot be cut by the server.)
#[tokio::test(flavor = "multi_thread")]
async fn windows_follow_the_size_of_what_arrives() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let mut pipe = redis::pipe();
    for i in 0..600 {
        let size = if (300..305).contains(&i) { MB } else { 40 };
        pipe.cmd("RPUSH")
            .arg("mixed")
            .arg(element(i, size))
            .ignore();
    }
    let _: () = pipe.query_async(&mut con).await.unwrap();
    let views = pages(&mut con, "mixed", 100).await;
    assert_eq!(numbers(&views), (0..600).collect::<Vec<_>>());
    assert_eq!(views[0].lines.len(), 200, "small elements: a full page");
    for v in &views {
        let kept: usize = v.lines.iter().map(|l| l.text.len()).sum();
        assert!(kept <= PAGE_BYTES, "{kept} bytes kept on one page");
    }
    let cut = views
        .iter()
        .flat_map(|v| &v.lines)
        .filter(|l| l.extent == Extent::Cut { stored: MB as u64 })
        .count();
    assert_eq!(cut, 5);
}

/// A 1 MB string is read up to its budget, cut on a whole character, and
/// stays text.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_string_is_read_up_to_its_budget() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let _: () = redis::cmd("SET")
        .arg("big:string")
        .arg("é".repeat(MB / 2 + 1))
        .query_async(&mut con)
        .await
        .unwrap();
    let limits = ReadLimits {
        max_bytes: 1001,
        max_elements: 200,
    };
    let v = read_value_page(&mut con, b"big:string", limits, None)
        .await
        .unwrap();
    assert_eq!(v.encoding, "text");
    assert!(v.truncated);
    assert_eq!(v.length, Some(MB as u64 + 2));
    assert_eq!(v.lines[0].text.len(), 1000, "cut before a split character");
}

/// The census's sample reads the start of big values (GETRANGE for a
/// string, one cut element for a list, nothing of a hash value larger
/// than its budget but the small values next to it) and still finds the
/// personal data there.
#[tokio::test(flavor = "multi_thread")]
async fn the_sample_reads_the_start_of_big_values() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    seed(&mut con, "list", "s:list", 5, 2 * MB).await;
    seed(&mut con, "stream", "s:stream", 5, 2 * MB).await;
    let _: () = redis::cmd("SET")
        .arg("s:string")
        .arg(element(0, 8 * MB))
        .query_async(&mut con)
        .await
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg("s:hash")
        .arg("blob")
        .arg(vec![b'x'; 2 * MB])
        .arg("contact")
        .arg("jane.doe@example.com")
        .query_async(&mut con)
        .await
        .unwrap();
    let mut opts = common::census_options();
    opts.sample = Some(SampleOptions::default());
    let c = census::run(
        &mut con,
        None,
        "test",
        &opts,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(c.complete);
    for p in ["s:list", "s:stream", "s:string", "s:hash"] {
        let ns = c
            .namespaces
            .iter()
            .find(|n| n.pattern == p)
            .unwrap_or_else(|| panic!("no namespace {p}: {:?}", c.namespaces));
        assert_eq!(ns.sampled, 1, "{p}");
        assert_eq!(ns.value_pii.get(&Kind::Email), Some(&1), "{p}");
    }
}

/// A user who may not run MEMORY USAGE nor HRANDFIELD: reads start with
/// one element and grow from what arrives; a hash pages by cursor.
#[tokio::test(flavor = "multi_thread")]
async fn without_memory_usage_nor_hrandfield_reads_stay_bounded() {
    let r = TestRedis::start();
    let mut con = r.connection().await;
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "viewer",
            "on",
            ">viewer-pw",
            "~*",
            "+@read",
            "-memory",
            "-hrandfield",
        ])
        .query_async(&mut con)
        .await
        .unwrap();
    seed(&mut con, "list", "big:list", 6, MB).await;
    seed(&mut con, "hash", "big:hash", 6, MB).await;
    let mut pipe = redis::pipe();
    for i in 0..500 {
        pipe.cmd("RPUSH")
            .arg("small:list")
            .arg(element(i, 10))
            .ignore();
    }
    let _: () = pipe.query_async(&mut con).await.unwrap();
    let url = r.url.replacen("redis://", "redis://viewer:viewer-pw@", 1);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut limited = client.get_multiplexed_async_connection().await.unwrap();

    let list = pages(&mut limited, "big:list", 20).await;
    assert_eq!(numbers(&list), (0..6).collect::<Vec<_>>());
    assert!(
        list.iter().all(|v| v.lines.len() == 1),
        "one big element a page"
    );
    let hash = pages(&mut limited, "big:hash", 20).await;
    let mut seen = numbers(&hash);
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..6).collect::<Vec<_>>(),
        "by cursor, every field once"
    );
    assert!(hash[0].next.as_deref().is_some_and(|n| !n.starts_with('i')));
    let small = pages(&mut limited, "small:list", 20).await;
    assert_eq!(small[0].lines.len(), 200, "the window grows from one");
    assert_eq!(numbers(&small), (0..500).collect::<Vec<_>>());
}
