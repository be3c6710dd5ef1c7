use std::collections::BTreeMap;

use super::*;
use crate::backend::portfwd::rules::with_rules;
use crate::backend::portfwd::Proto;

/// iptables as a table of rule lines per (table, chain): enough to check what the hook
/// asks for, in order, and that removal finds what apply added.
#[derive(Default)]
struct Tables {
    chains: BTreeMap<(String, String), Vec<String>>,
    calls: Vec<String>,
    fail_on: Option<String>,
}

impl Tables {
    fn run(&mut self, argv: &[String]) -> Result<String, String> {
        self.calls.push(argv.join(" "));
        if self
            .fail_on
            .as_ref()
            .is_some_and(|f| argv.join(" ").contains(f.as_str()))
        {
            return Err("iptables: No chain/target/match by that name.".into());
        }
        let table = argv[1].clone();
        let chain = argv[3].clone();
        let key = (table, chain.clone());
        let spec = argv[4..].to_vec();
        match argv[2].as_str() {
            "-S" => Ok(self
                .chains
                .get(&key)
                .map(|l| l.iter().map(|r| format!("-A {chain} {r}\n")).collect())
                .unwrap_or_default()),
            "-I" => {
                self.chains
                    .entry(key)
                    .or_default()
                    .insert(0, spec[1..].join(" "));
                Ok(String::new())
            }
            "-D" => {
                let list = self.chains.entry(key).or_default();
                let i = list
                    .iter()
                    .position(|r| *r == spec.join(" "))
                    .ok_or("no such rule")?;
                list.remove(i);
                Ok(String::new())
            }
            other => Err(format!("unexpected {other}")),
        }
    }
}

fn live(rules: &[ForwardRule]) -> String {
    let net = "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>\
               <ip address='192.168.122.1' netmask='255.255.255.0'/></network>";
    format!("<hookData>{}</hookData>", with_rules(net, rules).unwrap())
}

fn rule(port: u16) -> ForwardRule {
    ForwardRule {
        proto: Proto::Tcp,
        host_address: None,
        host_port: port,
        guest_ip: "192.168.122.5".parse().unwrap(),
        guest_port: 80,
    }
}

fn args(op: &str) -> Vec<String> {
    ["default", op, "begin", "-"].map(str::to_owned).to_vec()
}

fn dirs(tmp: &tempfile::TempDir) -> Dirs {
    Dirs {
        status: tmp.path().join("status"),
        config: tmp.path().join("config"),
    }
}

#[test]
fn started_applies_updated_replaces_stopped_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(&tmp);
    let mut t = Tables::default();
    // Someone else's rule stays.
    t.chains
        .entry(("filter".into(), "FORWARD".into()))
        .or_default()
        .push("-j LIBVIRT_FWI".into());

    let code = main_with(
        &args("started"),
        &live(&[rule(8080), rule(8081)]),
        &mut |a| t.run(a),
        &d,
    );
    assert_eq!(code, 0);
    assert_eq!(t.chains[&("nat".into(), "PREROUTING".into())].len(), 2);
    assert_eq!(t.chains[&("filter".into(), "FORWARD".into())].len(), 3);
    assert!(t.chains[&("filter".into(), "FORWARD".into())][0].contains("kvmm-pf:default"));
    let st = read_status(&d.status, "default").unwrap();
    assert_eq!(st.rules, [rule(8080), rule(8081)]);
    assert!(st.errors.is_empty());
    let mode = fs::metadata(status_path(&d.status, "default"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);

    // Run twice (libvirt's `updated`, or the app): the same rules once, not twice.
    main_with(
        &args("updated"),
        &live(&[rule(9000)]),
        &mut |a| t.run(a),
        &d,
    );
    assert_eq!(t.chains[&("nat".into(), "OUTPUT".into())].len(), 1);
    assert!(t.chains[&("nat".into(), "OUTPUT".into())][0].contains("--dport 9000"));
    assert_eq!(
        read_status(&d.status, "default").unwrap().rules,
        [rule(9000)]
    );

    main_with(
        &args("stopped"),
        &live(&[rule(9000)]),
        &mut |a| t.run(a),
        &d,
    );
    assert!(
        t.chains.values().flatten().all(|r| !r.contains("kvmm-pf")),
        "{:?}",
        t.chains
    );
    assert_eq!(
        t.chains[&("filter".into(), "FORWARD".into())],
        ["-j LIBVIRT_FWI"]
    );
    assert!(read_status(&d.status, "default").is_none());

    // Other operations touch nothing; bad arguments are a usage error.
    let before = t.calls.len();
    assert_eq!(main_with(&args("start"), "", &mut |a| t.run(a), &d), 0);
    assert_eq!(
        main_with(&args("port-created"), "", &mut |a| t.run(a), &d),
        0
    );
    assert_eq!(t.calls.len(), before);
    assert_eq!(main_with(&["x".to_owned()], "", &mut |a| t.run(a), &d), 2);
}

#[test]
fn saved_definition_wins_over_the_started_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(&tmp);
    fs::create_dir_all(&d.config).unwrap();
    let saved = live(&[rule(7000)])
        .replace("<hookData>", "")
        .replace("</hookData>", "");
    fs::write(d.config.join("default.xml"), saved).unwrap();
    let mut t = Tables::default();
    main_with(
        &args("updated"),
        &live(&[rule(8080)]),
        &mut |a| t.run(a),
        &d,
    );
    assert_eq!(
        read_status(&d.status, "default").unwrap().rules,
        [rule(7000)]
    );
}

#[test]
fn a_failing_rule_is_undone_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(&tmp);
    let mut t = Tables {
        fail_on: Some("-I FORWARD 1 -d 192.168.122.5/32 -o virbr0 -p tcp -m tcp --dport 80".into()),
        ..Tables::default()
    };
    let code = main_with(
        &args("started"),
        &live(&[rule(8080)]),
        &mut |a| t.run(a),
        &d,
    );
    assert_eq!(code, 0, "libvirt must not tear the network down");
    assert!(
        t.chains.values().flatten().all(|r| !r.contains("kvmm-pf")),
        "{:?}",
        t.chains
    );
    let st = read_status(&d.status, "default").unwrap();
    assert!(st.rules.is_empty());
    assert_eq!(st.errors.len(), 1);
    assert!(
        st.errors[0].starts_with("TCP 8080 → 192.168.122.5:80: iptables: No chain"),
        "{st:?}"
    );
}

#[test]
fn not_nat_applies_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(&tmp);
    let mut t = Tables::default();
    let xml = live(&[rule(8080)]).replace("<forward mode='nat'/>", "");
    main_with(&args("started"), &xml, &mut |a| t.run(a), &d);
    let st = read_status(&d.status, "default").unwrap();
    assert!(st.rules.is_empty() && st.errors.len() == 1);
    assert!(t.chains.values().flatten().next().is_none());
}
