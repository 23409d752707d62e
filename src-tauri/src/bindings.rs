//! The TypeScript bindings of everything that crosses IPC, generated with ts-rs into
//! `ui/src/bindings/` and committed.
//!
//! Beside them, the IPC contract (`src/contract.rs`: commands, events) and the error codes (the
//! SDK's and `nextauth_desktop::codes`) are written as `commands.ts`, `codes.ts` and
//! `contract.json` in the same folder, and as `src-tauri/capabilities/default.json`.
//!
//! `cargo test --workspace --lib bindings` regenerates them into a temporary directory and fails
//! when they differ from the committed files. To update the committed files after changing a
//! type: `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::TS;

/// Writes every IPC type (and what it refers to) into `dir`.
fn export_all(dir: &Path) {
    fn one<T: TS + 'static + ?Sized>(dir: &Path) {
        T::export_all_to(dir).unwrap_or_else(|e| panic!("export {}: {e}", T::name()));
    }
    // The SDK's model (its `ts` feature).
    one::<nextauth_sdk::Event>(dir);
    one::<nextauth_sdk::HistoryEntry>(dir);
    one::<nextauth_sdk::HistoryStatus>(dir);
    // The app's own IPC types.
    one::<crate::error::IpcError>(dir);
    one::<crate::commands::app::AppInfo>(dir);
    one::<crate::commands::app::ReadyState>(dir);
    one::<crate::commands::app::StartupError>(dir);
    one::<crate::commands::accounts::AccountDetail>(dir);
    one::<crate::commands::accounts::DeleteResult>(dir);
    one::<crate::commands::accounts::PushPause>(dir);
    one::<nextauth_sdk::Response>(dir);
    one::<crate::commands::history::HistoryFilter>(dir);
    one::<crate::commands::history::HistoryPage>(dir);
    one::<crate::settings::Settings>(dir);
    one::<crate::commands::settings::ServerLinkPrefix>(dir);
    one::<crate::commands::app_login::AppLoginStatus>(dir);
    one::<crate::commands::app_login::AppLoginToken>(dir);
    one::<crate::events::Resync>(dir);
    one::<crate::camera::Preview>(dir);
    one::<crate::camera::CameraInfo>(dir);
    one::<crate::commands::scan::ScreenScan>(dir);
}

/// The files in `ui/src/bindings` that come from the contract, not from ts-rs.
const CONTRACT_FILES: &[&str] = &["commands.ts", "codes.ts", "contract.json"];

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") || name.ends_with(".json") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                files.insert(name, text);
            }
        }
    }
    files
}

#[test]
fn bindings_match_the_committed_files() {
    let tmp = std::env::temp_dir().join(format!("nextauth-bindings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    export_all(&tmp);
    let fresh = read_dir(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        fresh.len() > 10,
        "ts-rs exported too little: {:?}",
        fresh.keys()
    );
    let committed_dir = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        // ts-rs's files are replaced; the contract's own (`contract_files`) are written by their test.
        for name in read_dir(&committed_dir).keys() {
            if !CONTRACT_FILES.contains(&name.as_str()) {
                let _ = std::fs::remove_file(committed_dir.join(name));
            }
        }
        std::fs::create_dir_all(&committed_dir).expect("create ui/src/bindings");
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).expect("write binding");
        }
        return;
    }
    let committed: BTreeMap<String, String> = read_dir(&committed_dir)
        .into_iter()
        .filter(|(name, _)| !CONTRACT_FILES.contains(&name.as_str()))
        .collect();
    let stale: Vec<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|name| fresh.get(*name) != committed.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is out of date ({stale:?}); regenerate with \
         `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings` and commit the result"
    );
}

// ---------------------------------------------------------------------------------------------
// The contract (src/contract.rs) as TypeScript, JSON and the capability file.

use std::collections::BTreeSet;

use nextauth_sdk::{Account, Event, Flow, Message, Response, Session};
use ts_rs::{Dependency, TypeVisitor};

use crate::camera::{CameraInfo, Preview};
use crate::commands::accounts::{AccountDetail, DeleteResult, PushPause};
use crate::commands::app::{AppInfo, ReadyState, StartupError};
use crate::commands::app_login::{AppLoginStatus, AppLoginToken};
use crate::commands::history::{HistoryFilter, HistoryPage};
use crate::commands::scan::ScreenScan;
use crate::commands::settings::ServerLinkPrefix;
use crate::error::IpcError;
use crate::events::Resync;
use crate::settings::Settings;

/// A TypeScript type and the generated types it names.
struct TsType {
    name: String,
    imports: BTreeSet<String>,
}

fn ts<T: TS + 'static + ?Sized>() -> TsType {
    let name = T::name();
    let words: BTreeSet<&str> = name
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    /// Collects the exported types a type refers to (its own, its generics', its fields').
    struct Collect(BTreeSet<String>);
    impl TypeVisitor for Collect {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            if let Some(dep) = Dependency::from_ty::<U>() {
                self.0.insert(dep.ts_name);
            }
        }
    }
    let mut found = Collect(BTreeSet::new());
    found.visit::<T>();
    T::visit_dependencies(&mut found);
    T::visit_generics(&mut found);
    let imports = found
        .0
        .into_iter()
        .filter(|ident| words.contains(ident.as_str()))
        .collect();
    TsType { name, imports }
}

struct CommandSpec {
    module: &'static str,
    name: &'static str,
    /// The Rust argument names and types and the result type, as written in the contract.
    rust: (Vec<(&'static str, &'static str)>, &'static str),
    args: Vec<(&'static str, TsType)>,
    result: TsType,
}

struct EventSpec {
    konst: &'static str,
    channel: &'static str,
    payload: TsType,
}

/// The contract's commands and events, with their TypeScript types.
macro_rules! describe {
    (
        commands { $( $module:ident :: $name:ident ( $( $arg:ident : $aty:ty ),* ) -> $ret:ty ; )* }
        events { $( $konst:ident = $channel:literal : $payload:ty ; )* }
    ) => {
        fn contract() -> (Vec<CommandSpec>, Vec<EventSpec>) {
            (
                vec![ $( CommandSpec {
                    module: stringify!($module),
                    name: stringify!($name),
                    rust: (vec![ $( (stringify!($arg), stringify!($aty)) ),* ], stringify!($ret)),
                    args: vec![ $( (stringify!($arg), ts::<$aty>()) ),* ],
                    result: ts::<$ret>(),
                } ),* ],
                vec![ $( EventSpec { konst: stringify!($konst), channel: $channel, payload: ts::<$payload>() } ),* ],
            )
        }
    };
}
ipc_contract!(describe);

/// `account_id` → `accountId` (what Tauri expects of an argument, and the UI's spelling).
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The SDK's error codes by name: each taken from an `SdkError` (`SdkError::code`), the server's
/// refusals (docs/protocol.md, section 14) as the SDK reports them. Not listed: 127 (invalid
/// configuration), 200 (storage) and 202 (keystore), which wrap errors of other crates.
fn sdk_codes() -> Vec<(&'static str, u16)> {
    use nextauth_protocol::ProtocolError as P;
    use nextauth_sdk::engine::EngineError as G;
    use nextauth_sdk::SdkError as E;
    [
        ("MALFORMED", E::Engine(G::Protocol(P::NotOurs))),
        ("UNKNOWN_TYPE", E::Engine(G::Protocol(P::UnknownType(0)))),
        ("NO_ACCOUNTS_FOR_SERVER", E::Engine(G::NoAccountsForServer)),
        ("DISPLAY_NAME_EXISTS", E::Engine(G::DisplayNameExists)),
        ("SINGLE_ACCOUNT", E::Engine(G::SingleAccount)),
        ("ENROL_EXPIRED", E::Engine(G::Protocol(P::EnrolExpired))),
        (
            "SERVER_AUTHENTICATION",
            E::Engine(G::Protocol(P::BadSignature)),
        ),
        ("TIMEOUT", E::Engine(G::Timeout)),
        ("SERVER_NOT_ALLOWED", E::Engine(G::ServerNotAllowed)),
        (
            "PARAMS_HASH_MISMATCH",
            E::Engine(G::Protocol(P::ParamsHashMismatch)),
        ),
        ("DECRYPT", E::Engine(G::Protocol(P::Decrypt))),
        ("MESSAGE_EXPIRED", E::Engine(G::Protocol(P::MessageExpired))),
        ("REPLAYED", E::Engine(G::Protocol(P::Replayed))),
        ("BAD_KEY", E::Engine(G::Protocol(P::BadKey))),
        (
            "UNEXPECTED_MESSAGE",
            E::Engine(G::Protocol(P::UnexpectedMessage)),
        ),
        ("RANDOM", E::Engine(G::Protocol(P::Random))),
        (
            "SEQUENCE_EXHAUSTED",
            E::Engine(G::Protocol(P::SequenceExhausted)),
        ),
        ("ACCOUNT_BLOCKED", E::Engine(G::Refused(108))),
        ("PIN_BLOCKED", E::Engine(G::PinBlocked)),
        ("PIN_REQUIRED", E::Engine(G::Refused(110))),
        ("LOGIN_EXPIRED", E::Engine(G::Refused(111))),
        ("TRANSACTION_EXPIRED", E::Engine(G::Refused(112))),
        ("PIN_QUESTION_REPLACED", E::Engine(G::Refused(113))),
        ("APP_LOGIN_DISABLED", E::Engine(G::Refused(114))),
        ("WRONG_NUMBER", E::Engine(G::Refused(115))),
        ("UNREACHABLE", E::Engine(G::Unreachable)),
        ("CONNECTION_LOST", E::Engine(G::ConnectionLost)),
        ("FLOW_ACTIVE", E::FlowActive),
        ("UNKNOWN_FLOW", E::Engine(G::UnknownFlow)),
        ("WRONG_RESPONSE", E::Engine(G::WrongResponse)),
        ("UNKNOWN_ACCOUNT", E::Engine(G::UnknownAccount)),
        ("INVALID_INPUT", E::Engine(G::InvalidInput(""))),
        ("WRONG_PIN", E::Engine(G::WrongPin(0))),
        ("UNTRUSTED_SERVER", E::Engine(G::UntrustedServer)),
        ("PINNED_KEY_MISMATCH", E::Engine(G::PinnedKeyMismatch)),
        ("BIOMETRICS_UNAVAILABLE", E::BiometricsUnavailable),
        ("BIOMETRICS_DECLINED", E::BiometricsDeclined),
        (
            "IMPERSONATED_SERVER",
            E::Engine(G::ImpersonatedServer(String::new())),
        ),
        (
            "ENDPOINT_MISMATCH",
            E::Engine(G::EndpointMismatch(String::new())),
        ),
        ("NO_APP_LOGIN", E::NoAppLogin),
        ("CORRUPT_ROW", E::CorruptRow("")),
        ("DATABASE_MISSING", E::DatabaseMissing),
        ("KEY_MISMATCH", E::KeyMismatch),
        ("FOREIGN_DATABASE", E::ForeignDatabase),
    ]
    .into_iter()
    .map(|(name, err)| (name, err.code()))
    .collect()
}

/// Every error code the UI may meet, SDK first, then the app's; names and codes unique.
fn all_codes() -> Vec<(&'static str, u16)> {
    let codes: Vec<(&'static str, u16)> = sdk_codes()
        .into_iter()
        .chain(nextauth_desktop::codes::ALL.iter().copied())
        .collect();
    let names: BTreeSet<&str> = codes.iter().map(|(n, _)| *n).collect();
    let values: BTreeSet<u16> = codes.iter().map(|(_, c)| *c).collect();
    assert_eq!(names.len(), codes.len(), "a code name is used twice");
    assert_eq!(values.len(), codes.len(), "a code number is named twice");
    codes
}

const GENERATED: &str = "// Generated from src-tauri/src/contract.rs by src-tauri/src/bindings.rs: do not edit.\n\
// `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings` rewrites it; the test fails when it is stale.\n";

/// `ui/src/bindings/commands.ts`: the command names, their arguments and results, one typed
/// function per command over an `invoke` the UI supplies, and the events with their payloads.
fn commands_ts(commands: &[CommandSpec], events: &[EventSpec]) -> String {
    let mut imports = BTreeSet::new();
    for c in commands {
        imports.extend(c.result.imports.iter().cloned());
        for (_, t) in &c.args {
            imports.extend(t.imports.iter().cloned());
        }
    }
    for e in events {
        imports.extend(e.payload.imports.iter().cloned());
    }
    let mut out = String::from(GENERATED);
    out.push('\n');
    for name in &imports {
        out += &format!("import type {{ {name} }} from './{name}';\n");
    }
    out += "\n/** Every command the main window may invoke. */\nexport const COMMANDS = [\n";
    for c in commands {
        out += &format!("  '{}',\n", c.name);
    }
    out += "] as const;\n\n/** The name of a command. */\nexport type CommandName = (typeof COMMANDS)[number];\n";
    out += "\n/** Each command's arguments, as sent (camelCase, as Tauri expects). */\nexport interface CommandArgs {\n";
    for c in commands {
        let args: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| format!("{}: {}", camel(n), t.name))
            .collect();
        if args.is_empty() {
            out += &format!("  {}: Record<string, never>;\n", c.name);
        } else {
            out += &format!("  {}: {{ {} }};\n", c.name, args.join("; "));
        }
    }
    out += "}\n\n/** Each command's result. */\nexport interface CommandResults {\n";
    for c in commands {
        out += &format!("  {}: {};\n", c.name, c.result.name);
    }
    out += "}\n\n/** Sends a command; it resolves with the command's result (the caller rejects with an IpcError). */\n\
export type Invoke = <C extends CommandName>(command: C, args: CommandArgs[C]) => Promise<CommandResults[C]>;\n";
    out += "\n/** One typed function per command (camelCase of its name), over `invoke`. */\nexport function commands(invoke: Invoke) {\n  return {\n";
    for c in commands {
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| format!("{}_: {}", camel(n), t.name))
            .collect();
        let fields: Vec<String> = c
            .args
            .iter()
            .map(|(n, _)| format!("{0}: {0}_", camel(n)))
            .collect();
        let args = if fields.is_empty() {
            "{}".to_owned()
        } else {
            format!("{{ {} }}", fields.join(", "))
        };
        out += &format!(
            "    {}: ({}) => invoke('{}', {args}),\n",
            camel(c.name),
            params.join(", "),
            c.name
        );
    }
    out += "  };\n}\n\n/** The Tauri events the app emits. */\nexport const EVENTS = {\n";
    for e in events {
        out += &format!("  {}: '{}',\n", e.konst, e.channel);
    }
    out += "} as const;\n\n/** Each event's payload. */\nexport interface EventPayloads {\n";
    for e in events {
        out += &format!("  '{}': {};\n", e.channel, e.payload.name);
    }
    out += "}\n";
    out
}

/// `ui/src/bindings/codes.ts`: every error code by name.
fn codes_ts(codes: &[(&str, u16)]) -> String {
    let mut out = String::from(GENERATED);
    out += "\n/** The error codes of `IpcError.code`: the SDK's (1–299, docs/sdk.md, from `SdkError::code`) and the app's (3xx, docs/app.md, from `nextauth_desktop::codes`). */\nexport const Code = {\n";
    for (name, code) in codes {
        out += &format!("  {name}: {code},\n");
    }
    out += "} as const;\n\n/** One of the codes above. */\nexport type Code = (typeof Code)[keyof typeof Code];\n";
    out
}

/// `ui/src/bindings/contract.json`: the same for the UI tests' mock (`ui/tests/mock-tauri.js`),
/// which answers exactly these commands and checks their argument names.
fn contract_json(commands: &[CommandSpec], events: &[EventSpec], codes: &[(&str, u16)]) -> String {
    let commands: serde_json::Map<String, serde_json::Value> = commands
        .iter()
        .map(|c| {
            let args: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
            (c.name.to_owned(), serde_json::json!(args))
        })
        .collect();
    let events: serde_json::Map<String, serde_json::Value> = events
        .iter()
        .map(|e| (e.konst.to_owned(), serde_json::json!(e.channel)))
        .collect();
    let codes: serde_json::Map<String, serde_json::Value> = codes
        .iter()
        .map(|(n, c)| ((*n).to_owned(), serde_json::json!(c)))
        .collect();
    let mut text = serde_json::to_string_pretty(
        &serde_json::json!({ "commands": commands, "events": events, "codes": codes }),
    )
    .expect("json");
    text.push('\n');
    text
}

/// `src-tauri/capabilities/default.json`: the main window may call every command of the
/// contract (`allow-<name>`, `_` written `-`) and Tauri's core defaults, nothing else.
fn capability_json(commands: &[CommandSpec]) -> String {
    let mut permissions = vec!["core:default".to_owned()];
    permissions.extend(
        commands
            .iter()
            .map(|c| format!("allow-{}", c.name.replace('_', "-"))),
    );
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "default",
        "description": "Capabilities of the main window: Tauri's core defaults (events, window, app) and each of the app's own commands. Generated from src-tauri/src/contract.rs by the bindings test: do not edit.",
        "windows": ["main"],
        "permissions": permissions,
    }))
    .expect("json");
    text.push('\n');
    text
}

/// The files generated from the contract: path (from the crate) → text.
fn contract_files() -> BTreeMap<PathBuf, String> {
    let (commands, events) = contract();
    let codes = all_codes();
    let ui = Path::new("../ui/src/bindings");
    BTreeMap::from([
        (ui.join("commands.ts"), commands_ts(&commands, &events)),
        (ui.join("codes.ts"), codes_ts(&codes)),
        (
            ui.join("contract.json"),
            contract_json(&commands, &events, &codes),
        ),
        (
            PathBuf::from("capabilities/default.json"),
            capability_json(&commands),
        ),
    ])
}

#[test]
fn contract_files_match_the_committed_files() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (path, text) in contract_files() {
        let path = crate_dir.join(path);
        if update {
            std::fs::write(&path, &text).expect("write a contract file");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated from src/contract.rs, out of date: {stale:?}; regenerate with \
         `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings` and commit the result"
    );
}

#[test]
fn the_contract_names_each_command_once_and_every_code_once() {
    let (commands, events) = contract();
    let names: BTreeSet<&str> = commands.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), commands.len());
    let channels: BTreeSet<&str> = events.iter().map(|e| e.channel).collect();
    assert_eq!(channels.len(), events.len());
    let codes = all_codes();
    assert_eq!(
        codes.iter().find(|(n, _)| *n == "WRONG_PIN"),
        Some(&("WRONG_PIN", 128))
    );
}

/// Commands by `(module, name)`: their arguments (name, type) and result type, as text.
type Signatures = BTreeMap<(String, String), (Vec<(String, String)>, String)>;

/// A type as text without spaces and module paths (`nextauth_sdk::Flow` → `Flow`).
fn plain_type(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            word.clear(); // a module path: keep only what follows
        } else {
            out += &word;
            word.clear();
            out.push(c);
        }
    }
    out + &word
}

/// Every `#[tauri::command]` in `src/commands/*.rs`, as `(module, name)` → (arguments the UI
/// sends, by name and type; the result type), read from the source with syn. Managed state,
/// the app handle and windows are Tauri's, not the UI's; a PIN (`PinInput`, also in an
/// `Option`) is sent as a string; `IpcResult<T>` answers `T`.
fn commands_in_source() -> Signatures {
    use quote::ToTokens;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/commands").flatten() {
        let path = entry.path();
        let module = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        if path.extension().is_none_or(|e| e != "rs") || module == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for item in file.items {
            let syn::Item::Fn(f) = item else { continue };
            let is_command = f.attrs.iter().any(|a| {
                a.path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "command")
            });
            if !is_command {
                continue;
            }
            let mut args = Vec::new();
            for input in &f.sig.inputs {
                let syn::FnArg::Typed(arg) = input else {
                    continue;
                };
                let ty = plain_type(&arg.ty.to_token_stream().to_string());
                if ["State<", "AppHandle<", "Window<", "WebviewWindow<"]
                    .iter()
                    .any(|t| ty.starts_with(t))
                {
                    continue;
                }
                let syn::Pat::Ident(name) = &*arg.pat else {
                    panic!("{module}::{}: an argument that is not a name", f.sig.ident);
                };
                let ty = ty.replace("PinInput", "String");
                args.push((name.ident.to_string(), ty));
            }
            let result = match &f.sig.output {
                syn::ReturnType::Default => "()".to_owned(),
                syn::ReturnType::Type(_, ty) => {
                    let ty = plain_type(&ty.to_token_stream().to_string());
                    if let Some(inner) = ty.strip_prefix("IpcResult<") {
                        inner[..inner.len() - 1].to_owned()
                    } else if let Some(inner) = ty.strip_prefix("Result<") {
                        inner
                            .strip_suffix(",IpcError>")
                            .unwrap_or_else(|| panic!("{module}: {ty}"))
                            .to_owned()
                    } else {
                        ty
                    }
                }
            };
            found.insert((module.clone(), f.sig.ident.to_string()), (args, result));
        }
    }
    found
}

#[test]
fn the_contract_matches_the_commands_signatures() {
    let (commands, _) = contract();
    let from_contract: Signatures = commands
        .iter()
        .map(|c| {
            let args = c
                .rust
                .0
                .iter()
                .map(|(n, t)| ((*n).to_owned(), plain_type(t)))
                .collect();
            (
                (c.module.to_owned(), c.name.to_owned()),
                (args, plain_type(c.rust.1)),
            )
        })
        .collect();
    let from_source = commands_in_source();
    assert!(
        from_source.len() > 20,
        "found too few commands: {from_source:?}"
    );
    for key in from_source.keys().chain(from_contract.keys()) {
        assert_eq!(
            from_contract.get(key),
            from_source.get(key),
            "{}::{}: the contract (src/contract.rs, left) and the command's signature \
             (src/commands, right) differ; a command missing from the contract is never \
             registered",
            key.0,
            key.1
        );
    }
}
