//! One osinfo-db XML file → the raw, unresolved entries it declares.
//!
//! osinfo-db files are `<libosinfo>` documents holding `<os>` and `<device>` elements. Only
//! what the creation wizard needs is kept: identity, dates, inheritance links, resources per
//! architecture, device links, firmware and the ISO volume-id patterns of each medium.
//! Localised copies of names (`xml:lang`) are skipped. An OS may be spread over several
//! files (`win-10.xml` plus `win-10.d/*.xml`); the caller merges entries with the same id.

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

/// Resource figures as one `<minimum>`/`<recommended>` block states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawResources {
    pub cpus: Option<u32>,
    pub ram: Option<u64>,
    pub storage: Option<u64>,
}

/// A `<resources arch="...">` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawResourceSet {
    pub arch: String,
    /// `inherit="true"`: take this arch's figures from the OS this one derives from.
    pub inherit: bool,
    pub minimum: RawResources,
    pub recommended: RawResources,
}

/// One installation medium with an ISO volume-id pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMedia {
    pub arch: String,
    pub volume_id: String,
}

/// An `<os>` element as written, before inheritance is resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOs {
    pub id: String,
    pub short_ids: Vec<String>,
    pub name: String,
    pub vendor: String,
    pub family: String,
    pub distro: String,
    pub version: String,
    pub codename: String,
    pub release_date: String,
    pub eol_date: String,
    pub derives_from: String,
    pub upgrades: String,
    pub resources: Vec<RawResourceSet>,
    /// `(device id, supported)` from `<devices>`; `supported="false"` removes an inherited one.
    pub devices: Vec<(String, bool)>,
    /// `(arch, firmware type, supported)` from `<firmware>`.
    pub firmware: Vec<(String, String, bool)>,
    pub media: Vec<RawMedia>,
}

impl RawOs {
    /// Fold another declaration of the same OS into this one: empty fields are filled,
    /// lists are extended.
    pub fn merge(&mut self, other: RawOs) {
        let fill = |a: &mut String, b: String| {
            if a.is_empty() {
                *a = b;
            }
        };
        fill(&mut self.name, other.name);
        fill(&mut self.vendor, other.vendor);
        fill(&mut self.family, other.family);
        fill(&mut self.distro, other.distro);
        fill(&mut self.version, other.version);
        fill(&mut self.codename, other.codename);
        fill(&mut self.release_date, other.release_date);
        fill(&mut self.eol_date, other.eol_date);
        fill(&mut self.derives_from, other.derives_from);
        fill(&mut self.upgrades, other.upgrades);
        for s in other.short_ids {
            if !self.short_ids.contains(&s) {
                self.short_ids.push(s);
            }
        }
        self.resources.extend(other.resources);
        self.devices.extend(other.devices);
        self.firmware.extend(other.firmware);
        self.media.extend(other.media);
    }
}

/// What one file declares.
#[derive(Debug, Default)]
pub struct RawFile {
    pub oses: Vec<RawOs>,
    /// `(device id, name)` of `<device>` definitions (e.g. `.../1af4/1001` → "virtio-block").
    pub devices: Vec<(String, String)>,
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Parse one osinfo-db document. Errors carry quick-xml's description.
pub fn parse_file(xml: &str) -> Result<RawFile, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = RawFile::default();
    // Local names of the open elements, and whether each carries xml:lang.
    let mut path: Vec<String> = Vec::new();
    let mut localized_depth: Option<usize> = None;
    let mut text = String::new();
    let mut os: Option<RawOs> = None;
    let mut device: Option<(String, String)> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match ev {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let empty = matches!(ev, XmlEvent::Empty(_));
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if localized_depth.is_none()
                    && e.try_get_attribute("xml:lang").ok().flatten().is_some()
                {
                    localized_depth = Some(path.len());
                }
                if localized_depth.is_none() {
                    start(&mut os, &mut device, &path, &name, e);
                }
                text.clear();
                if empty {
                    if localized_depth == Some(path.len()) {
                        localized_depth = None;
                    } else if localized_depth.is_none() {
                        end(&mut out, &mut os, &mut device, &path, &name, "");
                    }
                } else {
                    path.push(name);
                }
            }
            XmlEvent::Text(t) if localized_depth.is_none() => {
                text.push_str(&t.xml_content().map_err(|e| e.to_string())?);
            }
            XmlEvent::GeneralRef(r) if localized_depth.is_none() => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Ok(name) = r.decode() {
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        text.push_str(s);
                    }
                }
            }
            XmlEvent::End(_) => {
                let name = path.pop().unwrap_or_default();
                if localized_depth == Some(path.len()) {
                    localized_depth = None;
                } else if localized_depth.is_none() {
                    end(&mut out, &mut os, &mut device, &path, &name, text.trim());
                }
                text.clear();
            }
            XmlEvent::Eof if !path.is_empty() => {
                return Err(format!("the document ends inside <{}>", path.join("><")));
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// An element opened; `path` holds its ancestors.
fn start(
    os: &mut Option<RawOs>,
    device: &mut Option<(String, String)>,
    path: &[String],
    name: &str,
    e: &BytesStart,
) {
    let parent = path.last().map(String::as_str);
    match (parent, name) {
        (Some("libosinfo"), "os") => {
            *os = Some(RawOs {
                id: attr(e, "id").unwrap_or_default(),
                ..RawOs::default()
            })
        }
        (Some("libosinfo"), "device") => {
            *device = Some((attr(e, "id").unwrap_or_default(), String::new()))
        }
        _ => {}
    }
    let Some(os) = os.as_mut() else { return };
    match (parent, name) {
        (Some("os"), "derives-from") => os.derives_from = attr(e, "id").unwrap_or_default(),
        (Some("os"), "upgrades") => os.upgrades = attr(e, "id").unwrap_or_default(),
        (Some("os"), "resources") => os.resources.push(RawResourceSet {
            arch: attr(e, "arch").unwrap_or_else(|| "all".into()),
            inherit: attr(e, "inherit").as_deref() == Some("true"),
            ..RawResourceSet::default()
        }),
        (Some("devices"), "device") if path.len() >= 2 && path[path.len() - 2] == "os" => {
            let supported = attr(e, "supported").as_deref() != Some("false");
            os.devices
                .push((attr(e, "id").unwrap_or_default(), supported));
        }
        (Some("os"), "firmware") => os.firmware.push((
            attr(e, "arch").unwrap_or_else(|| "all".into()),
            attr(e, "type").unwrap_or_default(),
            attr(e, "supported").as_deref() != Some("false"),
        )),
        (Some("os"), "media") => os.media.push(RawMedia {
            arch: attr(e, "arch").unwrap_or_else(|| "all".into()),
            volume_id: String::new(),
        }),
        _ => {}
    }
}

/// An element closed with `text`; `path` holds its ancestors.
fn end(
    out: &mut RawFile,
    os: &mut Option<RawOs>,
    device: &mut Option<(String, String)>,
    path: &[String],
    name: &str,
    text: &str,
) {
    let parent = path.last().map(String::as_str);
    if let (Some("libosinfo"), "os") = (parent, name) {
        if let Some(o) = os.take() {
            out.oses.push(o);
        }
        return;
    }
    if let (Some("libosinfo"), "device") = (parent, name) {
        if let Some(d) = device.take() {
            out.devices.push(d);
        }
        return;
    }
    if let (Some(d), Some("device"), "name") = (device.as_mut(), parent, name) {
        d.1 = text.to_owned();
        return;
    }
    let Some(os) = os.as_mut() else { return };
    match (parent, name) {
        (Some("os"), "short-id") => os.short_ids.push(text.to_owned()),
        (Some("os"), "name") => os.name = text.to_owned(),
        (Some("os"), "vendor") => os.vendor = text.to_owned(),
        (Some("os"), "family") => os.family = text.to_owned(),
        (Some("os"), "distro") => os.distro = text.to_owned(),
        (Some("os"), "version") => os.version = text.to_owned(),
        (Some("os"), "codename") => os.codename = text.to_owned(),
        (Some("os"), "release-date") => os.release_date = text.to_owned(),
        (Some("os"), "eol-date") => os.eol_date = text.to_owned(),
        (Some("iso"), "volume-id") => {
            if let Some(m) = os.media.last_mut() {
                m.volume_id = text.to_owned();
            }
        }
        (Some(level @ ("minimum" | "recommended")), field) => {
            let Some(set) = os.resources.last_mut() else {
                return;
            };
            let r = if level == "minimum" {
                &mut set.minimum
            } else {
                &mut set.recommended
            };
            match field {
                "n-cpus" => r.cpus = text.parse().ok(),
                "ram" => r.ram = text.parse().ok(),
                "storage" => r.storage = text.parse().ok(),
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://example.org/ex/2">
    <short-id>ex2</short-id>
    <short-id>exfoo</short-id>
    <name>Example &amp; Co 2</name>
    <name xml:lang="de">Beispiel 2</name>
    <vendor>Example</vendor>
    <vendor xml:lang="ko">&#xB370;</vendor>
    <family>linux</family>
    <derives-from id="http://example.org/ex/1"/>
    <release-date>2020-02-02</release-date>
    <firmware arch="x86_64" type="efi"/>
    <resources arch="all">
      <minimum><n-cpus>1</n-cpus><ram>1024</ram></minimum>
      <recommended><ram>2048</ram><storage>4096</storage></recommended>
    </resources>
    <resources arch="i686" inherit="true"/>
    <devices>
      <device id="http://pcisig.com/pci/1af4/1001"/>
      <device id="http://pcisig.com/pci/1af4/1050" supported="false"/>
    </devices>
    <driver arch="x86_64"><device id="http://pcisig.com/pci/1af4/1000"/></driver>
    <variant id="v"><name>Variant name</name></variant>
    <media arch="x86_64">
      <variant id="v"/>
      <iso><volume-id>EX 2 \d+ amd64</volume-id><system-id>LINUX</system-id></iso>
    </media>
  </os>
  <device id="http://pcisig.com/pci/1af4/1001"><name>virtio-block</name><name xml:lang="fi">virtio-lohko</name></device>
</libosinfo>"#;

    #[test]
    fn reads_what_the_wizard_needs() {
        let f = parse_file(SAMPLE).unwrap();
        assert_eq!(f.oses.len(), 1);
        let os = &f.oses[0];
        assert_eq!(os.id, "http://example.org/ex/2");
        assert_eq!(os.short_ids, ["ex2", "exfoo"]);
        assert_eq!(os.name, "Example & Co 2");
        assert_eq!(os.vendor, "Example");
        assert_eq!(os.derives_from, "http://example.org/ex/1");
        assert_eq!(os.release_date, "2020-02-02");
        assert_eq!(os.resources.len(), 2);
        assert_eq!(os.resources[0].minimum.cpus, Some(1));
        assert_eq!(os.resources[0].recommended.storage, Some(4096));
        assert!(os.resources[1].inherit);
        // Driver device links are installable drivers, not native support.
        assert_eq!(
            os.devices,
            [
                ("http://pcisig.com/pci/1af4/1001".to_owned(), true),
                ("http://pcisig.com/pci/1af4/1050".to_owned(), false)
            ]
        );
        assert_eq!(os.firmware, [("x86_64".into(), "efi".into(), true)]);
        assert_eq!(os.media[0].volume_id, r"EX 2 \d+ amd64");
        assert_eq!(
            f.devices,
            [(
                "http://pcisig.com/pci/1af4/1001".to_owned(),
                "virtio-block".to_owned()
            )]
        );
    }

    #[test]
    fn broken_documents_are_errors() {
        assert!(parse_file("<libosinfo><os id='x'></libosinfo>").is_err());
        assert!(parse_file("<libosinfo><os id='x'>").is_err());
    }
}
