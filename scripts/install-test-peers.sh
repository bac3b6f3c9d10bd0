#!/bin/sh
# Installs the third-party peers the test suite talks to on 127.0.0.1, when missing:
# sipp (sip-tester), baresip, kamailio with its TLS module, dnsmasq (DNS SRV/NAPTR), sox, openssl (test CAs) and iptables (the NAT
# test's MASQUERADE), chromium (the web console's browser test, driven by playwright-core) with a
# small Chinese font (so its screenshots show the Chinese pages), from Debian's packages; and the human voice
# prompts (asterisk-core-sounds-en-wav) the speech harness adds to its synthesized test set; PostgreSQL and
# redis-server for distributed mode (tests start private instances on loopback).
set -e
need=""
command -v sipp >/dev/null 2>&1 || need="$need sip-tester"
command -v baresip >/dev/null 2>&1 || need="$need baresip-core"
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || need="$need kamailio"
ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 || need="$need kamailio-tls-modules"
command -v sox >/dev/null 2>&1 || need="$need sox"
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need="$need dnsmasq-base"
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || need="$need iptables"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$need fonts-wqy-microhei"
[ -d /usr/share/asterisk/sounds/en_US_f_Allison ] || need="$need asterisk-core-sounds-en-wav"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need="$need redis-server"
[ -z "$need" ] && exit 0
echo "installing test peers:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $need
