# SPDX-License-Identifier: Apache-2.0
"""debsrc - Debian source packages from the machine's own mirror.

Shared by tests/realworld/run and bench/real/run: adds deb-src entries
mirroring the machine's deb entries when there are none, installs build
dependencies, downloads a source package once (apt-get source
--download-only) and unpacks a fresh tree of it (dpkg-source -x).
"""
import glob
import os
import shutil
import subprocess
from pathlib import Path


class Failure(Exception):
    pass


def log(msg):
    print(f"debsrc: {msg}", flush=True)


def sudo():
    return [] if os.geteuid() == 0 else ["sudo"]


def ensure_deb_src():
    """Adds deb-src entries mirroring the machine's deb entries if none."""
    stanzas, lines = [], []
    for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for block in Path(f).read_text().split("\n\n"):
            fields = {}
            for line in block.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    k, v = line.split(":", 1)
                    fields[k.strip()] = v.strip()
            if fields:
                stanzas.append(fields)
    list_files = ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list")
    for f in list_files:
        if os.path.exists(f):
            lines += [l.strip() for l in Path(f).read_text().splitlines()
                      if l.strip() and not l.strip().startswith("#")]
    if any("deb-src" in s.get("Types", "").split() for s in stanzas) or \
       any(l.startswith("deb-src ") for l in lines):
        return False
    out = []
    for s in stanzas:
        if "deb" in s.get("Types", "").split() and "URIs" in s:
            entry = ["Types: deb-src"] + [f"{k}: {s[k]}" for k in
                                          ("URIs", "Suites", "Components", "Signed-By") if k in s]
            out.append("\n".join(entry))
    text = "\n\n".join(out) + "\n" if out else ""
    target = "/etc/apt/sources.list.d/codensm-deb-src.sources"
    if not out:
        srcs = [("deb-src " + l[4:]) for l in lines if l.startswith("deb ")]
        if not srcs:
            raise Failure("no Debian mirror found in /etc/apt to add deb-src for")
        text = "\n".join(srcs) + "\n"
        target = "/etc/apt/sources.list.d/codensm-deb-src.list"
    log(f"adding deb-src entries in {target}")
    subprocess.run(sudo() + ["tee", target], input=text.encode(), check=True,
                   stdout=subprocess.DEVNULL)
    return True


class Fetcher:
    """Source packages downloaded once into srcdir; apt-get update at most
    once per run, and only when something is missing."""

    def __init__(self, srcdir):
        self.srcdir = Path(srcdir)
        self.updated = False

    def update(self):
        if not self.updated:
            ensure_deb_src()
            log("apt-get update")
            subprocess.run(sudo() + ["apt-get", "update", "-qq"], check=True)
            self.updated = True

    def install(self, packages):
        missing = [p for p in packages if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
            text=True).stdout.find("install ok installed") < 0]
        if missing:
            self.update()
            log(f"installing {' '.join(missing)}")
            subprocess.run(sudo() + ["apt-get", "install", "-y", "-qq",
                                     "--no-install-recommends"] + missing,
                           check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))

    def source(self, package):
        """The .dsc of package, downloaded once into srcdir."""
        self.srcdir.mkdir(parents=True, exist_ok=True)
        dscs = sorted(self.srcdir.glob(f"{package}_*.dsc"))
        if not dscs:
            self.update()
            self.download(package)
            dscs = sorted(self.srcdir.glob(f"{package}_*.dsc"))
        if not dscs:
            raise Failure(f"apt-get source {package} gave no .dsc")
        return dscs[-1]


    def download(self, package):
        """apt-get source of the newest version the mirror serves: a mirror
        may list a security update whose files it does not hold (404), and
        then the versions it lists before it are tried, newest first."""
        versions = [line.split(":", 1)[1].strip() for line in subprocess.run(
            ["apt-cache", "showsrc", package], capture_output=True,
            text=True).stdout.splitlines() if line.startswith("Version:")]
        versions = sorted(set(versions), key=DebVersion, reverse=True)
        for spec in [package] + [f"{package}={v}" for v in versions[1:]]:
            log(f"apt-get source {spec}")
            if subprocess.run(["apt-get", "source", "--download-only", "-qq", spec],
                              cwd=self.srcdir).returncode == 0:
                return
        raise Failure(f"apt-get source {package}: no version could be downloaded")


class DebVersion:
    """Orders Debian version strings as dpkg does (dpkg --compare-versions)."""

    def __init__(self, version):
        self.version = version

    def __lt__(self, other):
        return subprocess.run(["dpkg", "--compare-versions", self.version, "lt",
                               other.version]).returncode == 0


def unpack(dsc, dest, skip_patches=False):
    """A fresh tree of the package (Debian patches applied) at dest."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["dpkg-source", "-x"] + (["--skip-patches"] if skip_patches else []) + [str(dsc), str(dest)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return dest
