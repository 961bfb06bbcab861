"""bench/run's images section (--only images): podrun's image store against skopeo, umoci
and a rootfs directory, on a >= 50 MB image of 5 layers pushed to a local docker-registry.

    pull:   podrun pull (download + verify + unpack) vs skopeo copy docker://REF oci:DIR
            (download + verify); the split: podrun pull with every blob already in the store
            (only the manifest and the unpack) and the rest (download + verify)
    unpack: that unpack vs umoci unpack of the same layers (skopeo's oci: directory)
    pod:    a pod of 4 from the image (present) vs the same pod on a rootfs directory vs crun
"""
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_image(work, busybox_root, layers=4, layer_mb=13):
    """An OCI layout (umoci): busybox, then `layers` layers of incompressible data."""
    layout = os.path.join(work, "oci")
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", layout + ":base")
    base = os.path.join(work, "base.tar")
    with tarfile.open(base, "w") as t:
        t.add(busybox_root, arcname=".")
    run("umoci", "raw", "add-layer", "--image", layout + ":base", "--tag", "bench", base)
    for i in range(layers):
        tar = os.path.join(work, f"data{i}.tar")
        blob = os.path.join(work, f"data{i}")
        with open(blob, "wb") as f:
            f.write(os.urandom(layer_mb << 20))
        with tarfile.open(tar, "w") as t:
            t.add(blob, arcname=f"data/{i}")
        run("umoci", "raw", "add-layer", "--image", layout + ":bench", tar)
        os.unlink(blob)
        os.unlink(tar)
    return layout


class Registry:
    def __init__(self, work):
        self.port = free_port()
        cfg = os.path.join(work, "registry.yml")
        with open(cfg, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n"
                    f"  filesystem:\n    rootdirectory: {work}/registry\nhttp:\n  addr: 127.0.0.1:{self.port}\n")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("bench: docker-registry did not start")

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def timed(timeit, argv, env=None, mntns=None):
    pre = [timeit] + (["-m", mntns] if mntns else [])
    out = subprocess.run(pre + ["--"] + argv, capture_output=True, text=True, env=env)
    parts = out.stdout.split()
    if len(parts) != 3 or parts[2] != "0":
        raise SystemExit(f"bench: failed ({out.stdout.strip()} {out.stderr.strip()}): {' '.join(argv)}")
    return int(parts[0]) / 1000.0


def section_images(a, podrun, tools, work, mntns, stats, alternate, write_pod, busybox_root, crun_bundle):
    timeit = tools["timeit"]
    root = busybox_root(os.path.join(work, "img-busybox-root"))
    layout = build_image(work, root)
    size = sum(os.path.getsize(os.path.join(layout, "blobs/sha256", b))
               for b in os.listdir(os.path.join(layout, "blobs/sha256")))
    reg = Registry(work)
    try:
        ref = f"127.0.0.1:{reg.port}/bench/img:v1"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
                        f"oci:{layout}:bench", f"docker://{ref}"], check=True)
        # The store every unpack starts from: the blobs, no layers and no images.json.
        seed = os.path.join(work, "seed-store")
        subprocess.run([podrun, "pull", "--quiet", "--root", seed, ref], check=True, capture_output=True)
        rows = {"pull": [], "skopeo": [], "unpack": [], "umoci": []}
        scratch = os.path.join(work, "scratch")
        for r in range(a.warmup + a.runs):
            ms = {}
            os.makedirs(scratch)
            ms["pull"] = timed(timeit, [podrun, "pull", "--quiet", "--root", os.path.join(scratch, "s"), ref])
            ms["skopeo"] = timed(timeit, ["skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
                                          f"docker://{ref}", f"oci:{scratch}/oci:bench"])
            store = os.path.join(scratch, "u")
            os.makedirs(os.path.join(store, "blobs"))
            subprocess.run(["cp", "-al", os.path.join(seed, "blobs/sha256"), os.path.join(store, "blobs/")],
                           check=True)
            ms["unpack"] = timed(timeit, [podrun, "pull", "--quiet", "--root", store, ref])
            ms["umoci"] = timed(timeit, ["umoci", "unpack", "--image", f"{scratch}/oci:bench", f"{scratch}/bundle"])
            shutil.rmtree(scratch)
            if r >= a.warmup:
                for k, v in ms.items():
                    rows[k].append(v)
        res = {k: stats(v) for k, v in rows.items()}
        # A pod of 4 from the image, present, against the same pod on a rootfs directory
        # (umoci's unpack of the image) and crun's one container.
        rootfs_dir = os.path.join(work, "rootfs-bundle")
        subprocess.run(["umoci", "unpack", "--image", f"{layout}:bench", rootfs_dir], check=True,
                       capture_output=True)
        env = dict(os.environ, PODRUN_STORAGE=seed)
        pod_img = write_pod(work, f"bench-img-{os.getpid()}", 3, ["/bin/true"], image=ref)
        pod_dir = write_pod(work, f"bench-dir-{os.getpid()}", 3, ["/bin/true"], image=rootfs_dir + "/rootfs")
        bundle = crun_bundle(os.path.join(work, "crun-img"), root) if crun_bundle else None
        cmds = {"podrun pod of 4, image from the store (5 layers)": [podrun, "up", pod_img],
                "podrun pod of 4, rootfs directory": [podrun, "up", pod_dir]}
        if bundle:
            cmds["crun run (busybox root, one container)"] = [
                "crun", "--cgroup-manager=disabled", "run", "--bundle", bundle, f"bench-crun-img-{os.getpid()}"]
        pods = alternate(cmds, a.runs, a.warmup, timeit, mntns, env=env)
    finally:
        reg.close()
    return {"image_bytes": size, "layers": 5, "ref": ref, "results": res, "pods": pods}


def print_images(p, s, fmt_ms):
    r = s["results"]
    p(f"7. Images: a {s['image_bytes'] / 1e6:.0f} MB image of {s['layers']} layers from a local docker-registry")
    pull, sk, un, um = (r[k]["median"] for k in ("pull", "skopeo", "unpack", "umoci"))
    p(f"   podrun pull (download, verify, unpack)   {fmt_ms(r['pull'])}  x{pull / sk:.2f} of skopeo copy")
    p(f"   skopeo copy docker:// oci: (no unpack)   {fmt_ms(r['skopeo'])}")
    p(f"   split: unpack (blobs present)            {fmt_ms(r['unpack'])}   download + verify {pull - un:.1f} ms "
      f"(x{(pull - un) / sk:.2f} of skopeo)")
    p(f"   umoci unpack (the same layers)           {fmt_ms(r['umoci'])}   podrun unpack x{un / um:.2f} of umoci")
    pods = s["pods"]
    names = list(pods)
    for k in names:
        p(f"   {k:<52} {fmt_ms(pods[k]['ms'])}")
    img, d = pods[names[0]]["ms"]["median"], pods[names[1]]["ms"]["median"]
    line = f"   image / rootfs directory: x{img / d:.2f}"
    if len(names) > 2:
        line += f"   image / crun: x{img / pods[names[2]]['ms']['median']:.2f}"
    p(line + "\n")
