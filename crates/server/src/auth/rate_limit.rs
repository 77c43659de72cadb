//! The login rate limit: failed logins (form or Basic) counted per client address
//! (IPv6 per /64) in a sliding window; past the limit the answer is 429 with
//! `Retry-After` until the oldest failure leaves the window.

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
        let now = Instant::now();
        let mut failures = lock(&self.failures);
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

    /// Counts a failed login from `ip`.
    pub(super) fn record_failure(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        if failures.len() >= MAX_TRACKED_CLIENTS {
            failures.retain(|_, list| {
                list.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
            if failures.len() >= MAX_TRACKED_CLIENTS {
                failures.clear();
            }
        }
        failures.entry(ip).or_default().push_back(now);
        tracing::warn!("failed login from {ip}");
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
        limiter.record_failure(a);
        assert!(limiter.check(a).is_ok());
        limiter.record_failure(a);
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
