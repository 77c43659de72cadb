//! Which network interface the peer sockets are tied to.
//!
//! librqbit binds its TCP and uTP listeners to `incomingHost`, but opens other
//! sockets (the UDP tracker client, DHT, LSD, UPnP, outgoing peer connections)
//! on every interface. What it can do for all of them is tie them to one
//! interface (`SO_BINDTODEVICE`): the interface holding `incomingHost`. A user
//! who binds to a VPN address then has no BitTorrent traffic on any other
//! interface, as with qBittorrent's "network interface" option.

use std::net::IpAddr;

use network_interface::{Addr, NetworkInterface, NetworkInterfaceConfig};

use crate::error::{EngineError, Result};

/// The name of the interface holding `ip`; `None` for an unspecified address
/// (all interfaces). A loopback address of the loopback range that is not
/// listed (127.0.0.2, say) belongs to the loopback interface.
pub(super) fn interface_of(ip: IpAddr) -> Result<Option<String>> {
    if ip.is_unspecified() {
        return Ok(None);
    }
    let interfaces = NetworkInterface::show()
        .map_err(|e| EngineError::internal("cannot list the network interfaces", e))?;
    let holds = |i: &&NetworkInterface| {
        i.addr.iter().any(|a| match a {
            Addr::V4(v4) => IpAddr::V4(v4.ip) == ip,
            Addr::V6(v6) => IpAddr::V6(v6.ip) == ip,
        })
    };
    let found = interfaces.iter().find(holds).or_else(|| {
        ip.is_loopback()
            .then(|| interfaces.iter().find(|i| i.internal))
            .flatten()
    });
    match found {
        Some(interface) => Ok(Some(interface.name.clone())),
        None => Err(EngineError::Internal(format!(
            "incomingHost {ip} is not an address of this machine's network interfaces"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_on_the_loopback_interface() {
        let lo = interface_of("127.0.0.1".parse().unwrap()).unwrap().unwrap();
        assert_eq!(
            interface_of("127.0.0.9".parse().unwrap()).unwrap(),
            Some(lo)
        );
        assert_eq!(interface_of("0.0.0.0".parse().unwrap()).unwrap(), None);
        assert_eq!(interface_of("::".parse().unwrap()).unwrap(), None);
    }

    #[test]
    fn an_address_of_no_interface_is_an_error() {
        // TEST-NET-3: documentation only, never configured on a machine.
        let err = interface_of("203.0.113.77".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("203.0.113.77"), "{err}");
    }
}
