//! The login rate limit: failed logins (form or Basic) counted per client address
//! (IPv6 per /64) in a sliding window; past the limit the answer is 429 with
//! `Retry-After` until the oldest failure leaves the window. An attempt counts as a
//! failure from the moment it starts ([`LoginLimiter::begin`]) until it succeeds, so
//! that parallel attempts cannot all be evaluated before the first failure is counted.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};

use super::lock;
use crate::error::ApiError;

/// Most client addresses whose failures are remembered.
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Recent failed logins per client address.
pub(super) struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// Failed logins allowed per address within `window`.
    limit: usize,
    window: Duration,
}

impl LoginLimiter {
    pub(super) fn new(limit: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    /// `Err(retry after)` when `ip` has used up its failed logins.
    pub(super) fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.prune(&mut lock(&self.failures), ip)
    }

    /// Starts a password check for `ip`, counted as a failure until
    /// [`Attempt::succeeded`]; `Err(retry after)` when `ip` has used up its attempts.
    pub(super) fn begin(&self, ip: IpAddr) -> Result<Attempt<'_>, Duration> {
        let mut failures = lock(&self.failures);
        self.prune(&mut failures, ip)?;
        let at = Instant::now();
        Self::make_room(&mut failures, at, self.window);
        failures.entry(ip).or_default().push_back(at);
        Ok(Attempt {
            limiter: self,
            ip,
            at,
        })
    }

    /// Forgets the expired failures of `ip`; `Err(retry after)` when it has no
    /// attempt left.
    fn prune(
        &self,
        failures: &mut HashMap<IpAddr, VecDeque<Instant>>,
        ip: IpAddr,
    ) -> Result<(), Duration> {
        let now = Instant::now();
        let Some(list) = failures.get_mut(&ip) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        if list.len() >= self.limit.max(1) {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.max(Duration::from_secs(1)));
        }
        Ok(())
    }

    /// Keeps the table of addresses bounded.
    fn make_room(
        failures: &mut HashMap<IpAddr, VecDeque<Instant>>,
        now: Instant,
        window: Duration,
    ) {
        if failures.len() >= MAX_TRACKED_CLIENTS {
            failures.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) < window));
            if failures.len() >= MAX_TRACKED_CLIENTS {
                failures.clear();
            }
        }
    }
}

/// A password check under way, counted as a failed login of its address until it
/// succeeds.
pub(super) struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    ip: IpAddr,
    at: Instant,
}

impl Attempt<'_> {
    /// The password was right: the attempt no longer counts.
    pub(super) fn succeeded(self) {
        if let Some(list) = lock(&self.limiter.failures).get_mut(&self.ip)
            && let Some(i) = list.iter().position(|t| *t == self.at)
        {
            list.remove(i);
        }
    }

    /// The password was wrong: the attempt stays counted.
    pub(super) fn failed(self) {
        tracing::warn!("failed login from {}", self.ip);
    }
}

/// The address failures are counted for: IPv4 as is, IPv6 by its /64.
pub(super) fn client_key(req: &Request) -> IpAddr {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(s))
            }
        },
        v4 => v4,
    }
}

/// The 503 answer when too many password checks are under way, with `Retry-After`.
pub(super) fn busy() -> Response {
    ApiError::Unavailable {
        message: "too many logins are being checked; try again in a second".into(),
        retry_after_secs: 1,
    }
    .into_response()
}

/// The 429 answer, with `Retry-After` in whole seconds.
pub(super) fn too_many(retry: Duration) -> Response {
    let secs = retry.as_secs_f64().ceil() as u64;
    ApiError::TooManyRequests {
        message: format!("too many failed logins; try again in {secs} s"),
        retry_after_secs: secs,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_decay() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(200));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        limiter.begin(a).unwrap().failed();
        assert!(limiter.check(a).is_ok());
        limiter.begin(a).unwrap().succeeded();
        assert!(limiter.check(a).is_ok(), "a right password does not count");
        let first = limiter.begin(a).unwrap();
        assert!(limiter.begin(a).is_err(), "an attempt under way counts");
        first.failed();
        assert!(limiter.check(a).is_err());
        assert!(limiter.check(b).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(limiter.check(a).is_ok());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        let key = |addr: &str| {
            let mut req = Request::new(axum::body::Body::empty());
            req.extensions_mut()
                .insert(ConnectInfo(addr.parse::<SocketAddr>().unwrap()));
            client_key(&req)
        };
        assert_eq!(
            key("[2001:db8:1:2:aaaa::1]:5000"),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            key("[::ffff:10.0.0.7]:5000"),
            "10.0.0.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(key("10.0.0.7:1"), "10.0.0.7".parse::<IpAddr>().unwrap());
    }
}
