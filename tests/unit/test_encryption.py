"""The cipher, the key ring and where the key comes from."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest

from storage.encryption import (
    PREFIX,
    DecryptionFailed,
    InvalidKey,
    KeyRing,
    UnknownKey,
    generate_key,
    is_encrypted,
    parse_key,
    stored_key_id,
)
from storage.encryption_keys import MissingKey, key_file_for, load_keyring

ANSWERS = [
    "I keep jumping in to fix Priya's code reviews instead of letting her own them",
    "Honestly? I'm scared that if I delegate the Q3 budget it'll slip and it's on me.",
    "Weniger Meetings, mehr Fokus für das Über-Team ✅",
    "ok",
    "talk to Sam 1:1 on thursday re: the on-call rota 🙏 (he's burnt out)",
]


def ring(*, old: tuple[bytes, ...] = ()) -> tuple[KeyRing, bytes]:
    key = os.urandom(32)
    return KeyRing(key, old), key


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_comes_back_as_written_and_is_not_readable_stored(answer: str) -> None:
    keyring, _ = ring()
    stored = keyring.encrypt(answer, "answers.text")
    assert stored.startswith(f"{PREFIX}{keyring.current.id}:")
    assert stored.isascii()
    for word in answer.split():
        if len(word) > 3:
            assert word not in stored
    assert keyring.decrypt(stored, "answers.text") == answer


def test_the_same_answer_is_stored_differently_each_time() -> None:
    keyring, _ = ring()
    assert keyring.encrypt("ok", "answers.text") != keyring.encrypt("ok", "answers.text")


def test_a_flipped_byte_is_refused_not_returned_as_garbage() -> None:
    keyring, _ = ring()
    stored = keyring.encrypt(ANSWERS[0], "answers.text")
    header = f"{PREFIX}{keyring.current.id}:"
    text = stored[len(header) :]
    body = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    for position in (0, 12, len(body) // 2, len(body) - 1):  # nonce, ciphertext, tag
        altered = bytearray(body)
        altered[position] ^= 0x01
        tampered = header + base64.urlsafe_b64encode(bytes(altered)).decode().rstrip("=")
        with pytest.raises(DecryptionFailed, match="failed authentication") as caught:
            keyring.decrypt(tampered, "answers.text")
        assert "Priya" not in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_truncated_value_is_refused() -> None:
    keyring, _ = ring()
    stored = keyring.encrypt(ANSWERS[1], "answers.text")
    with pytest.raises(DecryptionFailed, match=r"answers\.text"):
        keyring.decrypt(stored[:30], "answers.text")


def test_a_value_moved_to_another_column_does_not_decrypt() -> None:
    keyring, _ = ring()
    action = keyring.encrypt("Ask Priya to run Thursday's review", "coaching_sessions.action")
    with pytest.raises(DecryptionFailed, match="another column"):
        keyring.decrypt(action, "goals.text")


def test_legacy_plain_text_reads_unchanged() -> None:
    keyring, _ = ring()
    for answer in [*ANSWERS, "gce1 is how I'd name it", "gce1:not hex:x", ""]:
        assert not is_encrypted(answer)
        assert stored_key_id(answer) is None
        assert keyring.decrypt(answer, "answers.text") == answer
        assert keyring.needs_rotation(answer)


def test_old_keys_decrypt_and_only_the_current_key_encrypts() -> None:
    old_ring, old_key = ring()
    under_old = old_ring.encrypt(ANSWERS[2], "answers.text")
    new_ring = KeyRing(os.urandom(32), [old_key])
    assert new_ring.key_ids == [new_ring.current.id, old_ring.current.id]
    assert new_ring.decrypt(under_old, "answers.text") == ANSWERS[2]
    assert new_ring.needs_rotation(under_old)
    fresh = new_ring.encrypt(ANSWERS[2], "answers.text")
    assert stored_key_id(fresh) == new_ring.current.id and not new_ring.needs_rotation(fresh)

    without_old, _ = ring()
    with pytest.raises(UnknownKey, match=old_ring.current.id):
        without_old.decrypt(under_old, "answers.text")


def test_key_ids_tell_keys_apart_and_do_not_reveal_them() -> None:
    keys = [os.urandom(32) for _ in range(50)]
    ids = {KeyRing(key).current.id for key in keys}
    assert len(ids) == 50
    assert all(len(key_id) == 8 for key_id in ids)
    assert KeyRing(keys[0]).current.id == KeyRing(keys[0]).current.id
    assert "cipher" not in repr(KeyRing(keys[0]))


def test_a_configured_key_in_either_base64_alphabet_is_accepted() -> None:
    raw = bytes(range(250, 256)) + os.urandom(26)  # starts with bytes that differ between alphabets
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    assert parse_key(standard) == parse_key(urlsafe) == raw
    assert parse_key(f"  {standard}\n") == raw
    assert len(parse_key(generate_key())) == 32


@pytest.mark.parametrize(
    "bad",
    [
        base64.b64encode(b"sixteen byte key").decode(),  # AES-128 length
        base64.b64encode(os.urandom(33)).decode(),
        "correct horse battery staple, not base64 at all!!",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",  # hex, not base64
    ],
)
def test_a_malformed_key_is_a_one_line_error_that_does_not_echo_it(
    bad: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(InvalidKey) as caught:
        load_keyring(bad, [], tmp_path / "grow-coach.db", logging.getLogger("test"))
    message = str(caught.value)
    assert "[privacy] encryption_key" in message and "\n" not in message
    assert bad not in message and bad not in caplog.text
    assert not (tmp_path / "grow-coach.db.key").exists()


def test_a_malformed_old_key_is_named_by_its_position(tmp_path: Path) -> None:
    with pytest.raises(InvalidKey, match="old_encryption_keys entry 2") as caught:
        load_keyring(generate_key(), [generate_key(), "oops"], None, logging.getLogger("test"))
    assert "oops" not in str(caught.value)


def test_sqlite_without_a_key_gets_a_private_key_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "data" / "grow-coach.db"
    log = logging.getLogger("test.keys")
    with caplog.at_level(logging.INFO, logger="test.keys"):
        first = load_keyring(None, [], database, log)
        second = load_keyring(None, [], database, log)

    key_file = key_file_for(database)
    assert key_file == tmp_path / "data" / "grow-coach.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.current.id == second.current.id
    created = [r for r in caplog.records if "created a new encryption key" in r.getMessage()]
    assert len(created) == 1
    assert str(key_file) in created[0].getMessage() and "back it up" in created[0].getMessage()
    key_text = key_file.read_text().strip()
    assert key_text not in caplog.text
    assert not [p for p in key_file.parent.iterdir() if p.name.endswith(".tmp")]

    # The file's key opens what the first start wrote.
    stored = first.encrypt(ANSWERS[0], "answers.text")
    assert load_keyring(None, [], database, log).decrypt(stored, "answers.text") == ANSWERS[0]


def test_the_key_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        load_keyring(None, [], tmp_path / "grow-coach.db", logging.getLogger("test"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "grow-coach.db.key").stat().st_mode) == 0o600


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    database = tmp_path / "grow-coach.db"
    load_keyring(None, [], database, logging.getLogger("test"))
    key_file_for(database).chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_keyring(None, [], database, logging.getLogger("test"))
    assert "readable by others" in caplog.text
    assert key_file_for(database).read_text().strip() not in caplog.text


def test_a_configured_key_wins_over_the_key_file(tmp_path: Path) -> None:
    database = tmp_path / "grow-coach.db"
    key = generate_key()
    keyring = load_keyring(key, [], database, logging.getLogger("test"))
    assert keyring.current.id == KeyRing(parse_key(key)).current.id
    assert not key_file_for(database).exists()


def test_postgresql_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(MissingKey, match=r"PostgreSQL needs \[privacy\] encryption_key"):
        load_keyring(None, [generate_key()], None, logging.getLogger("test"))
