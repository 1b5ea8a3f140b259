//! A load generator for the gateway (`pleo-keys proxy`), driven by `benches/proxy.sh`. Loopback
//! only; every request is bounded by a timeout.
//!
//! ```text
//! proxyload latency --direct URL --direct-user KEY --proxy URL --proxy-user TOKEN
//!                   [--path P] [--n N] [--rounds R] [--warmup W]
//!     the same GET sent sequentially to both, interleaved (direct first on even requests, the
//!     proxy first on odd ones), each over its own keep-alive connection; p50/p99 of each, the
//!     difference and the ratio, pooled and per round
//! proxyload throughput --url URL --user USER [--path P] [--clients C] [--requests N]
//!     C clients, each one keep-alive connection sending requests back to back, until N requests
//!     were answered in all; requests/s and the latency percentiles
//! ```
//!
//! Credentials go as Basic `USER:` (the Pleo key directly, the proxy's token through the proxy).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderValue};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One client holding at most one idle connection: sequential use keeps exactly one keep-alive
/// connection open.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(TIMEOUT)
        .build()
        .expect("a reqwest client")
}

fn basic(user: &str) -> HeaderValue {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:"));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).expect("a header value");
    value.set_sensitive(true);
    value
}

fn loopback(url: &str) -> &str {
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("http://[::1]:"),
        "only loopback is ever contacted, not {url}"
    );
    url.trim_end_matches('/')
}

struct Target {
    client: reqwest::Client,
    url: String,
    auth: HeaderValue,
}

impl Target {
    fn new(base: &str, path: &str, user: &str) -> Target {
        Target {
            client: client(),
            url: format!("{}{path}", loopback(base)),
            auth: basic(user),
        }
    }

    /// One request, answer read to the end; its latency, or why it failed.
    async fn get(&self) -> Result<Duration, String> {
        let start = Instant::now();
        let response = self
            .client
            .get(&self.url)
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| format!("{e}"))?;
        let status = response.status();
        response.bytes().await.map_err(|e| format!("{e}"))?;
        let took = start.elapsed();
        if status.is_success() {
            Ok(took)
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn range(v: &[f64]) -> (f64, f64) {
    let s = sorted(v.to_vec());
    (s[0], s[s.len() - 1])
}

struct Latency {
    direct: String,
    direct_user: String,
    proxy: String,
    proxy_user: String,
    path: String,
    n: usize,
    rounds: usize,
    warmup: usize,
}

async fn latency(o: Latency) {
    let direct = Target::new(&o.direct, &o.path, &o.direct_user);
    let proxy = Target::new(&o.proxy, &o.path, &o.proxy_user);
    for _ in 0..o.warmup {
        direct.get().await.expect("a direct warm-up request");
        proxy.get().await.expect("a proxied warm-up request");
    }
    let (mut all_d, mut all_p) = (Vec::new(), Vec::new());
    let mut per_round: Vec<[f64; 6]> = Vec::new();
    for _ in 0..o.rounds {
        let (mut d, mut p) = (Vec::with_capacity(o.n), Vec::with_capacity(o.n));
        for i in 0..o.n {
            if i % 2 == 0 {
                d.push(ms(direct.get().await.expect("a direct request")));
                p.push(ms(proxy.get().await.expect("a proxied request")));
            } else {
                p.push(ms(proxy.get().await.expect("a proxied request")));
                d.push(ms(direct.get().await.expect("a direct request")));
            }
        }
        let (d, p) = (sorted(d), sorted(p));
        per_round.push([
            pct(&d, 50.0),
            pct(&p, 50.0),
            pct(&p, 50.0) - pct(&d, 50.0),
            pct(&d, 99.0),
            pct(&p, 99.0),
            pct(&p, 99.0) - pct(&d, 99.0),
        ]);
        all_d.extend(d);
        all_p.extend(p);
    }
    let (d, p) = (sorted(all_d), sorted(all_p));
    let col = |i: usize| per_round.iter().map(|r| r[i]).collect::<Vec<_>>();
    println!(
        "latency of GET {} ({} rounds of {} interleaved pairs, {} warm-up pairs), ms:",
        o.path, o.rounds, o.n, o.warmup
    );
    for (name, s, i50, i99) in [("direct", &d, 0, 3), ("proxy ", &p, 1, 4)] {
        let (a, b) = range(&col(i50));
        let (c, e) = range(&col(i99));
        println!(
            "  {name}  p50 {:.3} (rounds {a:.3}-{b:.3})  p90 {:.3}  p99 {:.3} (rounds {c:.3}-{e:.3})  max {:.3}  mean {:.3}  n={}",
            pct(s, 50.0),
            pct(s, 90.0),
            pct(s, 99.0),
            s[s.len() - 1],
            s.iter().sum::<f64>() / s.len() as f64,
            s.len()
        );
    }
    let (a, b) = range(&col(2));
    let (c, e) = range(&col(5));
    println!(
        "  added   p50 +{:.3} ms (rounds {a:.3}-{b:.3}), ratio {:.2}x;  p99 +{:.3} ms (rounds {c:.3}-{e:.3}), ratio {:.2}x",
        pct(&p, 50.0) - pct(&d, 50.0),
        pct(&p, 50.0) / pct(&d, 50.0),
        pct(&p, 99.0) - pct(&d, 99.0),
        pct(&p, 99.0) / pct(&d, 99.0),
    );
    // One machine-readable line for the script.
    println!(
        "RESULT latency direct_p50={:.4} direct_p99={:.4} proxy_p50={:.4} proxy_p99={:.4}",
        pct(&d, 50.0),
        pct(&d, 99.0),
        pct(&p, 50.0),
        pct(&p, 99.0)
    );
}

async fn throughput(url: String, user: String, path: String, clients: usize, requests: usize) {
    let left = Arc::new(AtomicI64::new(requests as i64));
    let start = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let target = Target::new(&url, &path, &user);
        let (left, start) = (left.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            // Connect before the clock starts: every client's connection is open and warm.
            let warm = target.get().await;
            start.wait().await;
            warm.expect("a warm-up request");
            let (mut took, mut errors) = (Vec::new(), Vec::new());
            while left.fetch_sub(1, Ordering::Relaxed) > 0 {
                match target.get().await {
                    Ok(d) => took.push(ms(d)),
                    Err(e) => errors.push(e),
                }
            }
            (took, errors)
        }));
    }
    start.wait().await;
    let t0 = Instant::now();
    let (mut all, mut errors) = (Vec::with_capacity(requests), Vec::new());
    for task in tasks {
        let (took, errs) = task.await.expect("a client task");
        all.extend(took);
        errors.extend(errs);
    }
    let secs = t0.elapsed().as_secs_f64();
    let all = sorted(all);
    let answered = all.len() + errors.len();
    println!(
        "  {clients:>3} clients: {answered} requests in {secs:.2} s = {:.0} req/s; latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; errors {}",
        answered as f64 / secs,
        pct(&all, 50.0),
        pct(&all, 99.0),
        all.last().copied().unwrap_or(f64::NAN),
        errors.len()
    );
    if let Some(first) = errors.first() {
        println!("  first error: {first}");
    }
    println!(
        "RESULT throughput clients={clients} requests={answered} secs={secs:.4} rps={:.1} errors={}",
        answered as f64 / secs,
        errors.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: proxyload latency|throughput [options] (see the source)";
    let Some(mode) = args.first() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let opt = |name: &str| {
        args.iter()
            .position(|o| o == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let req = |name: &str| {
        opt(name).unwrap_or_else(|| {
            eprintln!("proxyload {mode}: {name} is needed");
            std::process::exit(2);
        })
    };
    let num = |name: &str, default: usize| {
        opt(name)
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let path = opt("--path").unwrap_or_else(|| "/v1/introspect".to_owned());
    match mode.as_str() {
        "latency" => {
            // One thread: the client adds as little scheduling noise as it can.
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(latency(Latency {
                direct: req("--direct"),
                direct_user: req("--direct-user"),
                proxy: req("--proxy"),
                proxy_user: req("--proxy-user"),
                path,
                n: num("--n", 2000),
                rounds: num("--rounds", 5),
                warmup: num("--warmup", 200),
            }));
        }
        "throughput" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(throughput(
                req("--url"),
                req("--user"),
                path,
                num("--clients", 16),
                num("--requests", 20_000),
            ));
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
