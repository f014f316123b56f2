# Shared by scripts/demo and scripts/test: Debian packages (when root) and a venv.
# Usage: SETUP=test . scripts/setup.sh   (SETUP=test adds what the tests need)
set -eu
cd "$(dirname "$0")/.."

need_debs=""
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libmagic.so.1 ] \
    || ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || need_debs="$need_debs libmagic1"
python3 -c 'import venv, ensurepip' 2>/dev/null || need_debs="$need_debs python3-venv"
if [ "${SETUP:-}" = test ]; then
    command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need_debs="$need_debs dovecot-imapd"
    # Reminder tests move the bot's clock with libfaketime.
    command -v faketime >/dev/null 2>&1 || need_debs="$need_debs faketime"
    # HTML replies are rendered in a real headless browser (Playwright drives this one).
    [ -x /usr/bin/chromium ] || need_debs="$need_debs chromium"
    # A font with Chinese characters, so the screenshots of Chinese replies can be read.
    [ -d /usr/share/fonts/truetype/wqy ] || need_debs="$need_debs fonts-wqy-zenhei"
    # contrib/mailbot.service is checked with systemd-analyze verify.
    command -v systemd-analyze >/dev/null 2>&1 || need_debs="$need_debs systemd"
fi
if [ -n "$need_debs" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing Debian packages:$need_debs" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need_debs >/dev/null
    else
        echo "please install these Debian packages first:$need_debs (sudo apt-get install$need_debs)" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
extras=""
if [ "${SETUP:-}" = test ]; then extras="[test]"; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
