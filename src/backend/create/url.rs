//! Network installation addresses: an `http://` or `https://` URL of an ISO image, split
//! into what libvirt's `<disk type='network'>` source needs (protocol, host, port, path,
//! query). Anything else (other schemes, credentials in the URL, spaces) is refused with a
//! sentence saying why.

use gettextrs::gettext;

use crate::backend::domain_spec::{NetworkDiskSource, UrlScheme};
use crate::i18n::gettext_f;

fn host_ok(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !host.starts_with(['-', '.'])
}

fn ipv6_ok(addr: &str) -> bool {
    addr.contains(':')
        && addr
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'))
}

/// Characters allowed in a path or query as given (RFC 3986 unreserved, sub-delims, `:`,
/// `@`, `/`, `?` and `%` escapes); spaces and controls must be percent-encoded.
fn text_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c))
}

/// Split an installation URL. Errors are translated sentences.
pub fn parse_install_url(input: &str) -> Result<NetworkDiskSource, String> {
    let url = input.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(gettext(
            "Enter a full address starting with http:// or https://.",
        ));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => UrlScheme::Http,
        "https" => UrlScheme::Https,
        other => {
            return Err(gettext_f(
                "“{scheme}” addresses cannot be used for a network installation: use an http:// or https:// address.",
                &[("scheme", other)],
            ))
        }
    };
    // The fragment never reaches the server.
    let rest = rest.split('#').next().unwrap_or_default();
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    if authority.contains('@') {
        return Err(gettext(
            "User names and passwords in the address are not supported; use an address that needs no login.",
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| gettext("The address has an unclosed “[”."))?;
        if !ipv6_ok(addr) {
            return Err(gettext_f(
                "“{host}” is not a valid IPv6 address.",
                &[("host", addr)],
            ));
        }
        (addr, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !authority.starts_with('[') && !host_ok(host) {
        return Err(if host.is_empty() {
            gettext("The address names no server.")
        } else {
            gettext_f("“{host}” is not a valid server name.", &[("host", host)])
        });
    }
    let port = match port {
        None | Some("") => scheme.default_port(),
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| gettext_f("“{port}” is not a valid port.", &[("port", p)]))?,
    };
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    if path.is_empty() || path == "/" {
        return Err(gettext(
            "The address names no file: give the full address of the installation image.",
        ));
    }
    if !text_ok(path) || !query.is_none_or(text_ok) {
        return Err(gettext(
            "The address contains spaces or characters that must be percent-encoded.",
        ));
    }
    Ok(NetworkDiskSource {
        scheme,
        host: host.to_owned(),
        port,
        path: path.to_owned(),
        query: query.filter(|q| !q.is_empty()).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(u: &str) -> NetworkDiskSource {
        parse_install_url(u).unwrap_or_else(|e| panic!("{u}: {e}"))
    }

    #[test]
    fn splits_http_and_https() {
        let s = ok("https://deb.debian.org/debian/dists/bookworm/netinst.iso");
        assert_eq!(s.scheme, UrlScheme::Https);
        assert_eq!((s.host.as_str(), s.port), ("deb.debian.org", 443));
        assert_eq!(s.path, "/debian/dists/bookworm/netinst.iso");
        assert_eq!(s.query, None);
        let s = ok("HTTP://mirror.example:8080/a%20b.iso?token=x&y=1#frag");
        assert_eq!((s.scheme, s.port), (UrlScheme::Http, 8080));
        assert_eq!(s.path, "/a%20b.iso");
        assert_eq!(s.query.as_deref(), Some("token=x&y=1"));
        let s = ok("http://[2001:db8::1]:81/x.iso");
        assert_eq!((s.host.as_str(), s.port), ("2001:db8::1", 81));
        assert_eq!(ok("http://10.0.0.1/x.iso").host, "10.0.0.1");
    }

    #[test]
    fn refuses_what_libvirt_cannot_use() {
        for bad in [
            "ftp://example.org/x.iso",
            "file:///srv/x.iso",
            "example.org/x.iso",
            "https://user:pw@example.org/x.iso",
            "https://example.org",
            "https://example.org/",
            "https://example.org:0/x.iso",
            "https://example.org:99999/x.iso",
            "https://exa mple.org/x.iso",
            "https://example.org/a b.iso",
            "https:///x.iso",
            "http://[zz::1]/x.iso",
        ] {
            assert!(parse_install_url(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_install_url("ftp://x/y")
            .unwrap_err()
            .contains("http://"));
    }
}
