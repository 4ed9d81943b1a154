"""The browser's verifier and signer (static/verify.js, static/sign.js), run in Debian's
chromium on the shared vectors, and against the Python reference where no vector exists.

Each test hands the vectors to the page and gets back the cases where the JavaScript
disagrees with what the vector (or `truceline.ledger`) says; the list must be empty.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from itertools import combinations
from typing import Any

import pytest

from truceline.codec import dsse
from truceline.codec.jcs import canonicalize
from truceline.ledger import merkle, policy, proof
from truceline.ledger.cosignature import CosignatureSigner
from truceline.ledger.note import Ed25519Signer, sign

from .conftest import Site, watch

MODULES = "const v = await import('/web/verify.js'); const s = await import('/web/sign.js');"


@pytest.fixture(scope="module")
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A page of the served origin (a secure context: 127.0.0.1) that runs no dashboard."""
    for w in watch(browser, site.url):
        w.page.goto(f"{site.url}/vectors-page")  # a 404: the origin is all we need
        yield w.page


def run(page: Any, body: str, arg: Any) -> list[str]:
    failures = page.evaluate(
        f"async (arg) => {{ {MODULES} const bad = []; {body}; return bad; }}", arg
    )
    return list(failures)


def load(vectors: Any, rel: str) -> Any:
    return json.loads((vectors / rel).read_text())


def test_rfc6962_inclusion_vectors(page: Any, vectors: Any) -> None:
    cases = []
    for path in sorted((vectors / "transparency-dev-merkle/testdata/inclusion").rglob("*.json")):
        c = json.loads(path.read_text())
        cases.append({**c, "name": str(path.relative_to(vectors)), "proof": c["proof"] or []})
    assert len(cases) >= 90
    body = """
      const b = (x) => Uint8Array.from(atob(x || ""), (ch) => ch.charCodeAt(0));
      for (const c of arg) {
        let err = null;
        try { await v.verifyInclusion(BigInt(c.leafIdx), BigInt(c.treeSize), b(c.leafHash), c.proof.map(b), b(c.root)); }
        catch (e) { err = e.message; }
        if ((err !== null) !== c.wantErr) bad.push(`${c.name}: wantErr ${c.wantErr}, got ${err}`);
      }"""
    assert run(page, body, cases) == []


def test_rfc6962_reference_tree_and_tessera_proofs(page: Any, vectors: Any) -> None:
    """Leaf hashes of the reference tree; then every inclusion proof of the Tessera test log
    (made by truceline.ledger.merkle) verifies in the browser against the root of the
    checkpoint of each size, which opens under the log's vkey."""
    ref = load(vectors, "transparency-dev-merkle/rfc6962_reference_tree.json")
    tessera = load(vectors, "tessera-testdata/tessera_log_vectors.json")
    leaves = [e.encode() for e in tessera["entries_utf8"]]
    hashes = [merkle.leaf_hash(e) for e in leaves]
    proofs = []
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            path = merkle.inclusion_proof(index, size, hashes[:size])
            proofs.append(
                {
                    "size": size,
                    "index": index,
                    "entry": leaves[index].hex(),
                    "proof": [p.hex() for p in path],
                }
            )
    arg = {
        "leaves": ref["leaf_inputs_hex"],
        "level0": ref["node_hashes_by_level_hex"][0],
        "vkey": tessera["vkey"],
        "checkpoints": [s["checkpoint"] for s in tessera["sizes"]],
        "proofs": proofs,
    }
    body = """
      const x = (h) => Uint8Array.from(h.match(/../g) || [], (p) => parseInt(p, 16));
      for (let i = 0; i < arg.leaves.length; i++) {
        if (v.hex(await v.leafHash(x(arg.leaves[i]))) !== arg.level0[i]) bad.push(`leaf ${i}`);
      }
      const key = await v.parseVkey(arg.vkey);
      const roots = [];
      for (const [n, cp] of arg.checkpoints.entries()) {
        const note = await v.openNote(new TextEncoder().encode(cp), [key]);
        const parsed = v.parseCheckpoint(note.text);
        if (parsed.size !== BigInt(n)) bad.push(`checkpoint ${n}: size ${parsed.size}`);
        roots.push(parsed.root);
      }
      for (const p of arg.proofs) {
        try { await v.verifyInclusion(BigInt(p.index), BigInt(p.size), await v.leafHash(x(p.entry)), p.proof.map(x), roots[p.size]); }
        catch (e) { bad.push(`index ${p.index} of ${p.size}: ${e.message}`); }
      }"""
    assert run(page, body, arg) == []


def test_signed_note_vectors(page: Any, vectors: Any) -> None:
    """golang.org/x/mod/sumdb/note: open, malformed, vkey parsing (every proper substring and
    every +1 mutation of a valid vkey is refused); and the C2SP spec examples."""
    sumdb = load(vectors, "golang-mod-sumdb/note_and_tlog_vectors.json")
    c2sp = load(vectors, "c2sp/spec_examples.json")
    peter_sig = sumdb["sign_vector"]["want_signed_note"].split("\n\n", 1)[1]
    opens = []
    for case in sumdb["open_vectors"]:
        msg = case.get("message") or sumdb["note_text"] + "\n" + peter_sig * 101
        opens.append({**case, "message": msg})
    malformed = [
        base64.b64encode(
            bytes.fromhex(c["message_hex"]) if "message_hex" in c else c["message"].encode()
        ).decode()
        for c in sumdb["malformed_vectors"]
    ]
    valid = sumdb["vkey_parse"]["valid"][0]
    bad_vkeys = [c["vkey"] for c in sumdb["vkey_parse"]["invalid"] if "vkey" in c]
    bad_vkeys += [
        valid[i:j]
        for i in range(len(valid))
        for j in range(i, len(valid) + 1)
        if j - i < len(valid)
    ]
    bad_vkeys += [valid[:i] + chr(ord(valid[i]) + 1) + valid[i + 1 :] for i in range(len(valid))]
    arg = {
        "opens": opens,
        "text": sumdb["note_text"],
        "malformed": malformed,
        "valid": sumdb["vkey_parse"]["valid"],
        "badVkeys": bad_vkeys,
        "peter": sumdb["keys"]["PeterNeumann"],
        "signed": sumdb["sign_vector"]["want_signed_note"],
        "c2sp": c2sp,
    }
    body = """
      const enc = (t) => new TextEncoder().encode(t);
      for (const c of arg.opens) {
        const keys = [];
        for (const k of c.trusted) keys.push(await v.parseVkey(k));
        try {
          const n = await v.openNote(enc(c.message), keys);
          if (c.want_error) bad.push(`${c.desc}: opened, want ${c.want_error}`);
          else {
            if (n.text !== arg.text) bad.push(`${c.desc}: text`);
            const got = n.verified.map((s) => s.name).join(","), want = c.want_verified.join(",");
            if (got !== want) bad.push(`${c.desc}: verified ${got}, want ${want}`);
            const gotU = n.unverified.map((s) => s.name).join(","), wantU = (c.want_unverified || []).join(",");
            if (gotU !== wantU) bad.push(`${c.desc}: unverified ${gotU}, want ${wantU}`);
          }
        } catch (e) {
          if (!c.want_error || !e.message.includes(c.want_error)) bad.push(`${c.desc}: ${e.message}`);
        }
      }
      const peter = await v.parseVkey(arg.peter.vkey);
      if (v.hex(peter.publicKey) !== arg.peter.ed25519_pub_hex) bad.push("peter's public key");
      if (peter.keyId.toString(16).padStart(8, "0") !== arg.peter.key_id_hex) bad.push("peter's key id");
      for (const m of arg.malformed) {
        const bytes = Uint8Array.from(atob(m), (ch) => ch.charCodeAt(0));
        try { await v.openNote(bytes, [peter]); bad.push(`malformed opened: ${m.slice(0, 30)}`); }
        catch (e) { if (!e.message.startsWith("malformed note")) bad.push(`malformed: ${e.message}`); }
      }
      for (const k of arg.valid) await v.parseVkey(k);
      for (const k of arg.badVkeys) {
        try { await v.parseVkey(k); bad.push(`bad vkey accepted: ${k}`); } catch (e) { /* refused */ }
      }
      const ex = arg.c2sp.signed_note_verifiable;
      const opened = await v.openNote(enc(ex.note), [await v.parseVkey(ex.vkey)]);
      if (opened.text !== "This is an example message.\\n") bad.push("c2sp example text");
      const quasi = v.parseNote(enc(arg.c2sp.signed_note_unverifiable_example.note));
      if (!quasi.text.includes("\\n\\ned è subito sera.\\n") || quasi.sigs.length !== 1) bad.push("quasimodo: split at the last empty line");
      const cp = arg.c2sp.checkpoint_example;
      const parsed = v.parseCheckpoint(v.parseNote(enc(cp.note)).text);
      if (parsed.origin !== cp.origin || parsed.size !== BigInt(cp.tree_size) || v.b64encode(parsed.root) !== cp.root_b64) bad.push("c2sp checkpoint example");
      const cm = arg.c2sp.cosignature_message_example;
      const body = cm.message.split("\\n").slice(2).join("\\n");
      if (new TextDecoder().decode(v.cosignedMessage(body, cm.timestamp)) !== cm.message) bad.push("cosignature message layout");"""
    assert run(page, body, arg) == []


def test_cosignature_vectors(page: Any, vectors: Any) -> None:
    """Sunlight's three real cosignature/v1 signatures verify, as note lines and alone; a
    flipped bit of the signature or the timestamp does not."""
    cases = load(vectors, "sunlight-testdata/cosignature_v1_vectors.json")["cases"]
    body = """
      for (const c of arg) {
        const w = await v.parseVkey(c.witness_vkey);
        if (w.alg !== v.ALG_COSIGNATURE_V1) bad.push(`${c.file}: type ${w.alg}`);
        if (w.keyId.toString(16).padStart(8, "0") !== c.key_id_hex) bad.push(`${c.file}: key id`);
        const msg = new TextDecoder().decode(v.cosignedMessage(c.checkpoint_body, c.cosignature_timestamp));
        if (msg !== c.signed_message) bad.push(`${c.file}: message`);
        const ts = new Uint8Array(8); new DataView(ts.buffer).setBigUint64(0, BigInt(c.cosignature_timestamp));
        const sig = v.concat(ts, Uint8Array.from(c.ed25519_signature_hex.match(/../g), (p) => parseInt(p, 16)));
        if (!(await v.verifyNoteSignature(w, c.checkpoint_body, sig))) bad.push(`${c.file}: does not verify`);
        for (const at of [3, 20]) {
          const flipped = sig.slice(); flipped[at] ^= 1;
          if (await v.verifyNoteSignature(w, c.checkpoint_body, flipped)) bad.push(`${c.file}: flipped byte ${at} verifies`);
        }
        const id = new Uint8Array(4); new DataView(id.buffer).setUint32(0, w.keyId);
        const note = `${c.checkpoint_body}\\n\\u2014 ${w.name} ${v.b64encode(v.concat(id, sig))}\\n`;
        const opened = await v.openNote(new TextEncoder().encode(note), [w]);
        if (opened.verified.length !== 1) bad.push(`${c.file}: note`);
      }"""
    assert run(page, body, cases) == []


def test_ed25519_vectors(page: Any, vectors: Any) -> None:
    """RFC 8032 section 7.1 and Wycheproof through the browser's Ed25519 (WebCrypto)."""
    tests = []
    for v in load(vectors, "rfc8032/ed25519_rfc8032_section7_1.json")["vectors"]:
        tests.append(
            {
                "id": v["name"],
                "pk": v["public_key_hex"],
                "msg": v["message_hex"],
                "sig": v["signature_hex"],
                "ok": True,
            }
        )
    wycheproof = load(vectors, "wycheproof/ed25519_test.json")
    for group in wycheproof["testGroups"]:
        for t in group["tests"]:
            tests.append(
                {
                    "id": f"wycheproof {t['tcId']}",
                    "pk": group["publicKey"]["pk"],
                    "msg": t["msg"],
                    "sig": t["sig"],
                    "ok": t["result"] == "valid",
                }
            )
    assert len(tests) > 150
    body = """
      const x = (h) => Uint8Array.from(h.match(/../g) || [], (p) => parseInt(p, 16));
      for (const t of arg) {
        const got = await v.ed25519Verify(x(t.pk), x(t.sig), x(t.msg));
        if (got !== t.ok) bad.push(`${t.id}: ${got}, want ${t.ok}`);
      }"""
    assert run(page, body, tests) == []


def test_dsse_and_jcs_vectors(page: Any, vectors: Any) -> None:
    """PAE; envelopes signed in the browser under the RFC 8032 TEST 1 key equal the Python
    codec's canonical envelope bytes; RFC 8785 inputs canonicalize to the expected outputs."""
    d = load(vectors, "dsse/dsse_vectors.json")
    signed = d["ed25519_computed_here"]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(signed["secret_key_seed_hex"]))
    envelopes = []
    for c in signed["cases"]:
        payload = base64.b64decode(c["payload_b64"])
        env = dsse.sign(c["payload_type"], payload, key, "test-key").to_json()
        assert (
            env.decode()
            == canonicalize(
                {
                    **c["envelope"],
                    "signatures": [
                        {"keyid": "test-key", "sig": c["envelope"]["signatures"][0]["sig"]}
                    ],
                }
            ).decode()
        )
        envelopes.append(
            {"type": c["payload_type"], "payload": c["payload_b64"], "want": env.decode()}
        )
    jcs = [
        {
            "name": p.name,
            "input": p.read_text(),
            "want": (vectors / "jcs/output" / p.name).read_text(),
        }
        for p in sorted((vectors / "jcs/input").glob("*.json"))
    ]
    numbers = (vectors / "jcs/numbers/es6testfile_lines0001-1000.txt").read_text().splitlines()
    arg = {
        "pae": d["pae_vectors"],
        "seed": signed["secret_key_seed_hex"],
        "envelopes": envelopes,
        "jcs": jcs,
        "numbers": numbers,
    }
    body = """
      const x = (h) => Uint8Array.from(h.match(/../g) || [], (p) => parseInt(p, 16));
      for (const p of arg.pae) {
        if (v.hex(s.pae(p.payload_type, x(p.payload_hex))) !== p.pae_hex) bad.push(`pae ${p.name}`);
      }
      const key = await s.importSigningKey(x(arg.seed));
      const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
      for (const e of arg.envelopes) {
        const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, s.pae(e.type, b(e.payload))));
        const got = new TextDecoder().decode(s.envelopeBytes(e.type, b(e.payload), "test-key", sig));
        if (got !== e.want) bad.push(`envelope ${e.type}: ${got}`);
      }
      for (const c of arg.jcs) {
        const got = s.canonicalize(JSON.parse(c.input));
        if (got !== c.want) bad.push(`jcs ${c.name}: ${got}`);
      }
      const f64 = new DataView(new ArrayBuffer(8));
      for (const line of arg.numbers) {
        const [bits, want] = line.split(",");
        f64.setBigUint64(0, BigInt("0x" + bits));
        const got = s.canonicalize(f64.getFloat64(0));
        if (got !== want) bad.push(`number ${bits}: ${got}, want ${want}`);
      }"""
    assert run(page, body, arg) == []


def test_key_files_and_acts_match_the_python_codec(page: Any, tmp_path: Any) -> None:
    """A key file in each form Truceline reads (PKCS#8 PEM, base64 seed, raw seed) imports,
    is identified among candidate keys, and seals an act to the bytes `codec.records.seal`
    writes, so the server reads it as the same record."""
    from truceline.codec import keys, records

    key = keys.generate()
    keyid = keys.key_id(key.public_key())
    payload = {
        "incident": "inc-1",
        "party": "east",
        "reason": "ours were silent: «тихо» \u2028",
        "at": "2026-12-06T01:02:03.45Z",
    }
    want = records.seal("application/vnd.truceline.dispute+json", payload, key, keyid).decode()
    seed = base64.b64decode(keys.private_key_b64(key))
    files = {
        "pem": keys.private_key_pem(key).decode(),
        "b64": keys.private_key_b64(key) + "\n",
        "raw": seed.hex(),
    }
    other = keys.generate()
    arg = {
        "files": files,
        "want": want,
        "keyid": keyid,
        "payload": payload,
        "public": keys.public_key_b64(key.public_key()),
        "other": keys.public_key_b64(other.public_key()),
    }
    body = """
      const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
      const x = (h) => Uint8Array.from(h.match(/../g), (p) => parseInt(p, 16));
      for (const [form, text] of Object.entries(arg.files)) {
        const bytes = form === "raw" ? x(text) : new TextEncoder().encode(text);
        const key = await s.importSigningKey(bytes);
        if (key.extractable) bad.push(`${form}: extractable`);
        const who = await s.identify(key, [{ publicKey: b(arg.other), owner: "other" }, { publicKey: b(arg.public), owner: "east" }]);
        if (!who || who.owner !== "east" || who.keyid !== arg.keyid) bad.push(`${form}: identified as ${JSON.stringify(who)}`);
        const got = new TextDecoder().decode(await s.sealAct(key, arg.keyid, "application/vnd.truceline.dispute+json", arg.payload));
        if (got !== arg.want) bad.push(`${form}: ${got} != ${arg.want}`);
      }
      for (const junk of ["", "not a key", "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----"]) {
        try { await s.importSigningKey(new TextEncoder().encode(junk)); bad.push(`imported ${junk}`); } catch (e) { /* refused */ }
      }
      if (s.formatTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0))) !== "2026-01-02T03:04:05Z") bad.push("formatTime whole seconds");
      if (s.formatTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 120))) !== "2026-01-02T03:04:05.12Z") bad.push("formatTime fraction");"""
    assert run(page, body, arg) == []


def _policies() -> list[str]:
    log = Ed25519Signer("log.example/a", b"\x01" * 32).verifier().vkey
    ws = [CosignatureSigner(f"w{i}.example", bytes([i + 2]) * 32).verifier().vkey for i in range(5)]
    good = (
        f"log {log}\n"
        + "".join(f"witness w{i} {ws[i]} https://w{i}.example/\n" for i in range(5))
        + "group a 2 w0 w1 w2\ngroup b any w3 w4\ngroup q all a b\nquorum q\n"
    )
    return [
        good,
        good.replace("group a 2", "group a all"),
        good.replace("quorum q", "quorum none"),
        f"# comment\n\tlog {log}\nwitness w0 {ws[0]}\nquorum w0\n",
        good.replace("quorum q\n", ""),  # no quorum
        good + "quorum q\n",  # twice
        good.replace("group a 2", "group a 4"),  # threshold > members
        good.replace("group a 2", "group a 02"),  # leading zero
        good.replace("group a 2", "group a 0"),  # a threshold of none
        good.replace("group b any w3 w4", "group b any w3 w0"),  # w0 used twice
        good.replace("group q all a b", "group q all a c"),  # undefined member
        good.replace(f"witness w1 {ws[1]}", f"witness w0 {ws[1]}"),  # name twice
        good.replace(f"witness w1 {ws[1]}", f"witness w1 {ws[0]}"),  # key twice
        good.replace(f"log {log}", f"log {ws[0]}"),  # a witness key as a log key
        good.replace(f"witness w1 {ws[1]}", f"witness w1 {log}"),  # a log key as a witness
        good.replace("witness w4", "witnes w4"),
        good + "quorum\n",
        good.replace("\n", "\r\n"),
        good.replace("group q", "group none"),
        good + "\x01\n",
    ]


def test_policy_matches_the_python_reference(page: Any) -> None:
    """tlog-policy: the browser accepts exactly the files `Policy.parse` accepts, and its
    quorum says the same as `Policy.witnessed` for every set of cosigning witnesses."""
    texts = _policies()
    expected = []
    for text in texts:
        try:
            parsed = policy.Policy.parse(text)
        except policy.PolicyError:
            expected.append(None)
            continue
        names = sorted(parsed.witnesses)
        expected.append(
            {
                ",".join(c): parsed.witnessed(parsed.quorum, set(c))
                for r in range(len(names) + 1)
                for c in combinations(names, r)
            }
        )
    body = """
      for (const [i, text] of arg.texts.entries()) {
        let p = null;
        try { p = await v.parsePolicy(text); } catch (e) { if (arg.expected[i] !== null) bad.push(`${i}: refused: ${e.message}`); continue; }
        if (arg.expected[i] === null) { bad.push(`${i}: accepted`); continue; }
        for (const [set, want] of Object.entries(arg.expected[i])) {
          const got = v.witnessed(p, p.quorum, new Set(set ? set.split(",") : []));
          if (got !== want) bad.push(`${i} {${set}}: ${got}, want ${want}`);
        }
      }"""
    assert run(page, body, {"texts": texts, "expected": expected}) == []


def test_tlog_proof_matches_the_python_reference(page: Any) -> None:
    """A log of 37 entries cosigned by a 2-of-3 policy: every proof `truceline.ledger.proof`
    makes verifies in the browser; each damaged variant fails in both, naming the same part."""
    rng = random.Random(5)
    log = Ed25519Signer("proofs.example/log", b"\x07" * 32)
    witnesses = [CosignatureSigner(f"w{i}.example", bytes([30 + i]) * 32) for i in range(3)]
    pol = (
        f"log {log.verifier().vkey}\n"
        + "".join(f"witness w{i} {w.verifier().vkey}\n" for i, w in enumerate(witnesses))
        + "group q 2 w0 w1 w2\nquorum q\n"
    )
    entries = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 90))) for _ in range(37)]
    hashes = [merkle.leaf_hash(e) for e in entries]
    from truceline.ledger.checkpoint import Checkpoint

    body_text = Checkpoint(log.name, len(entries), merkle.root(hashes)).body()
    note = sign(body_text, [log])
    cosigned = sign(
        body_text, [log, *[_AtTime(w, 1_767_139_200 + i) for i, w in enumerate(witnesses[:2])]]
    )
    cases = []
    for index in rng.sample(range(len(entries)), 8):
        good = proof.make(index, merkle.inclusion_proof(index, len(entries), hashes), cosigned)
        variants = {
            "good": good,
            "flipped hash": _flip_hash(good),
            "non-canonical hash": _noncanonical_hash(good),
            "bad log signature": _flip_signature(good, log.name),
            "one cosignature": _drop_line(good, "w1.example"),
            "not cosigned": proof.make(
                index, merkle.inclusion_proof(index, len(entries), hashes), note
            ),
            "other index": good.replace(
                f"index {index}\n".encode(), f"index {(index + 1) % 37}\n".encode()
            ),
        }
        for name, text in variants.items():
            try:
                proof.verify(text, entries[index], log.verifier().vkey, policy.Policy.parse(pol))
                ok = True
            except (proof.TlogProofError, ValueError):
                ok = False
            cases.append(
                {
                    "name": f"{index} {name}",
                    "index": index,
                    "entry": entries[index].hex(),
                    "proof": text.decode(),
                    "ok": ok,
                }
            )
    assert sum(c["ok"] for c in cases) == 8  # only the good ones verify in Python
    body = """
      const x = (h) => Uint8Array.from(h.match(/../g), (p) => parseInt(p, 16));
      for (const c of arg.cases) {
        const r = await v.verifyRecord({ index: c.index, entry: x(c.entry), proofText: c.proof, vkey: arg.vkey, policyText: arg.policy });
        const failed = r.steps.filter((s) => !s.ok).map((s) => s.id).filter((id) => id !== "record");
        if ((failed.length === 0) !== c.ok) bad.push(`${c.name}: browser ${failed.join(",") || "ok"}, python ${c.ok}`);
      }
      // With no policy pinned a good proof passes, with a warning on the witness step.
      const good = arg.cases.find((c) => c.ok);
      const r = await v.verifyRecord({ index: good.index, entry: x(good.entry), proofText: good.proof, vkey: arg.vkey, policyText: null });
      const w = r.steps.find((st) => st.id === "witnesses");
      const others = r.steps.filter((st) => !st.ok && st.id !== "record"); // these entries are not envelopes
      if (others.length || !r.warned || !w.warn || !w.detail.includes("no witness policy is pinned")) bad.push(`no policy: ${JSON.stringify(r.steps)}`);"""
    assert run(page, body, {"cases": cases, "vkey": log.verifier().vkey, "policy": pol}) == []


class _AtTime(CosignatureSigner):
    """A cosigner stamping a fixed time (the note is then the same on every run)."""

    def __init__(self, signer: CosignatureSigner, ts: int) -> None:
        super().__init__(signer.name, signer.private_key_bytes())
        self.ts = ts

    def sign(self, msg: bytes) -> bytes:
        return self.sign_at(msg, self.ts)


def _flip_hash(text: bytes) -> bytes:
    head, _, cp = text.partition(b"\n\n")
    lines = head.split(b"\n")
    raw = bytearray(base64.b64decode(lines[-1]))
    raw[7] ^= 0x10
    lines[-1] = base64.b64encode(bytes(raw))
    return b"\n".join(lines) + b"\n\n" + cp


def _noncanonical_hash(text: bytes) -> bytes:
    """The last proof hash spelled with a padding bit set: the same bytes, another spelling."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    head, _, cp = text.partition(b"\n\n")
    lines = head.split(b"\n")
    last = lines[-1]
    lines[-1] = last[:-2] + bytes([alphabet[alphabet.index(last[-2]) ^ 1]]) + b"="
    assert base64.b64decode(lines[-1]) == base64.b64decode(last)
    return b"\n".join(lines) + b"\n\n" + cp


def _flip_signature(text: bytes, name: str) -> bytes:
    out = []
    for line in text.split(b"\n"):
        if line.startswith(f"\u2014 {name} ".encode()):
            prefix, b64 = line.rsplit(b" ", 1)
            raw = bytearray(base64.b64decode(b64))
            raw[-1] ^= 0x01
            line = prefix + b" " + base64.b64encode(bytes(raw))
        out.append(line)
    return b"\n".join(out)


def _drop_line(text: bytes, name: str) -> bytes:
    return b"\n".join(
        line for line in text.split(b"\n") if not line.startswith(f"\u2014 {name} ".encode())
    )
