"""The CAPTCHA's spoken alternative: every form with the image offers "Listen to the code", a
WAV of the challenge that form carries (django-simple-captcha's audio, spoken by flite)."""

from __future__ import annotations

import io
import re
import shutil
import wave

import pytest
from captcha.models import CaptchaStore

pytestmark = pytest.mark.django_db

FORMS_WITH_A_CAPTCHA = [
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/password-reset/",
    "/accounts/officer/login/",
]
AUDIO_LINK = re.compile(r'<a href="(/captcha/audio/(\w+)\.wav)"[^>]*>Listen to the code')
KEY_FIELD = re.compile(r'name="captcha_0" value="(\w+)"')

needs_flite = pytest.mark.skipif(
    shutil.which("flite") is None, reason="flite is not installed (apt-get install flite)"
)


def _wav(content: bytes) -> wave.Wave_read:
    return wave.open(io.BytesIO(content))


@needs_flite
@pytest.mark.parametrize("url", FORMS_WITH_A_CAPTCHA)
def test_every_form_with_a_captcha_links_to_the_audio_of_its_own_challenge(client, url):
    page = client.get(url).content.decode()
    link = AUDIO_LINK.search(page)
    assert link, f"{url} has no 'Listen to the code' link"
    assert link.group(2) == KEY_FIELD.search(page).group(1), "the audio is of another challenge"

    audio = client.get(link.group(1))
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/wav"
    content = b"".join(audio.streaming_content)
    assert content[:4] == b"RIFF"
    assert content[8:12] == b"WAVE"
    sound = _wav(content)
    seconds = sound.getnframes() / sound.getframerate()
    # Five characters spelled one by one, with pauses: a second or more of speech.
    assert seconds > 1.0, seconds


@needs_flite
def test_the_audio_spells_the_challenge_and_nothing_once_it_is_used(client):
    key = CaptchaStore.generate_key()
    store = CaptchaStore.objects.get(hashkey=key)
    assert _wav(b"".join(client.get(f"/captcha/audio/{key}.wav").streaming_content)).getnframes()
    store.delete()
    assert client.get(f"/captcha/audio/{key}.wav").status_code == 410
    # A longer challenge is a longer sound: the WAV is spoken from the challenge's characters.
    # (Fixed challenges: a random one's letters differ in length, "W" against "E".)
    short = CaptchaStore.objects.create(challenge="ABC", response="abc")
    longer = CaptchaStore.objects.create(challenge="ABCDEFGHIJ", response="abcdefghij")
    one = b"".join(client.get(f"/captcha/audio/{short.hashkey}.wav").streaming_content)
    two = b"".join(client.get(f"/captcha/audio/{longer.hashkey}.wav").streaming_content)
    assert _wav(two).getnframes() > _wav(one).getnframes() * 1.5


def test_without_flite_no_audio_link_is_offered(client, monkeypatch):
    from captcha.conf import settings as captcha_settings

    monkeypatch.setattr(captcha_settings, "CAPTCHA_FLITE_PATH", None)
    page = client.get("/accounts/login/").content.decode()
    assert "Listen to the code" not in page
    assert "Type the characters in the image" in page
