// SPDX-License-Identifier: Apache-2.0
// cli_test.cc — fuse-overlayfs argument grammar, option defaults and every error text
#include "fuse-overlay/cli.h"

#include <catch2/catch.hpp>

using ovl::CliError;
using ovl::OverlayOptions;
using ovl::parse_cli;

namespace {

OverlayOptions parse(std::vector<std::string> args, bool root = false) {
    return parse_cli(args, root);
}

// The message and preamble of the CliError parse throws.
std::pair<std::string, std::string> error_of(std::vector<std::string> args) {
    try {
        parse_cli(args, false);
    } catch (const CliError& e) {
        return {e.what(), e.preamble()};
    }
    return {"<no error>", ""};
}

} // namespace

TEST_CASE("Defaults are fuse-overlayfs 1.16's initialisers", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l", "/mnt"});
    CHECK(o.lowerdirs == std::vector<std::string>{"/l"});
    CHECK(o.mountpoint == "/mnt");
    CHECK(o.upperdir.empty());
    CHECK(o.uid_map.empty());
    CHECK_FALSE(o.squash_to_root);
    CHECK_FALSE(o.squash_to_uid);
    CHECK_FALSE(o.squash_to_gid);
    CHECK(o.xattr_permissions == 0);
    CHECK_FALSE(o.static_nlink);
    CHECK_FALSE(o.noacl);
    CHECK_FALSE(o.threaded);
    CHECK(o.fsync);
    CHECK_FALSE(o.fast_ino);
    CHECK(o.writeback);
    CHECK_FALSE(o.noxattrs);
    CHECK(o.timeout == 1e9);
    CHECK_FALSE(o.foreground);
    CHECK_FALSE(o.debug);
    CHECK(o.warnings.empty());
    CHECK(o.action == OverlayOptions::Action::mount);
}

TEST_CASE("The last positional argument is the mountpoint and a leading SOURCE is ignored",
          "[fuse-overlay][cli]") {
    CHECK(parse({"overlay", "/mnt", "-o", "lowerdir=/l"}).mountpoint == "/mnt");
    CHECK(parse({"fuse-overlayfs", "/a", "-o", "lowerdir=/l", "/b"}).mountpoint == "/b");
    CHECK(parse({"-o", "lowerdir=/l", "--", "-weird"}).mountpoint == "-weird");
}

TEST_CASE("Options may be repeated, combined or attached to -o", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l", "-o", "upperdir=/u", "-oworkdir=/w", "/m"});
    CHECK(o.upperdir == "/u");
    CHECK(o.workdir == "/w");
    OverlayOptions p = parse({"-o", "lowerdir=/a,lowerdir=/b", "/m"});
    CHECK(p.lowerdirs == std::vector<std::string>{"/b"}); // the later one wins
}

TEST_CASE("Injected defaults come first: unprivileged", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l,nosuid", "/m"});
    CHECK(o.fuse_opts == std::vector<std::string>{"fsname=fuse-overlayfs", "subtype=fuse-overlayfs",
                                                  "default_permissions", "noatime", "nosuid"});
}

TEST_CASE("Injected defaults for euid 0 add allow_other and suid", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l", "/m"}, true);
    CHECK(o.fuse_opts == std::vector<std::string>{"fsname=fuse-overlayfs", "subtype=fuse-overlayfs",
                                                  "default_permissions", "allow_other", "suid",
                                                  "noatime"});
}

TEST_CASE("Mount flags are forwarded to libfuse in order", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o",
                              "lowerdir=/l,ro,nodev,noexec,exec,dev,suid,atime,allow_root,"
                              "allow_other,default_permissions,kernel_cache,splice_read,"
                              "splice_write,splice_move,diratime,max_write",
                              "/m"});
    std::vector<std::string> tail(o.fuse_opts.begin() + 4, o.fuse_opts.end());
    CHECK(tail == std::vector<std::string>{"ro", "nodev", "noexec", "exec", "dev", "suid", "atime",
                                           "allow_root", "allow_other", "default_permissions",
                                           "kernel_cache", "splice_read", "splice_write",
                                           "splice_move", "diratime", "max_write"});
    CHECK(o.warnings.empty());
}

TEST_CASE("Unknown keys are warned exactly as upstream and ignored", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o",
                              "lowerdir=/l,rw,bogus=1,metacopy=maybe,index=off,userxattr,"
                              "max_write=131072,auto_unmount,fsname=foo,xino=auto,sync=0",
                              "-x", "/m"});
    CHECK(o.warnings == std::vector<std::string>{
                            "unknown argument ignored: rw",
                            "unknown argument ignored: bogus=1",
                            "unknown argument ignored: metacopy=maybe",
                            "unknown argument ignored: index=off",
                            "unknown argument ignored: userxattr",
                            "unknown argument ignored: max_write=131072",
                            "unknown argument ignored: auto_unmount",
                            "unknown argument ignored: fsname=foo",
                            "unknown argument ignored: xino=auto",
                            "unknown argument ignored: sync=0",
                            "unknown argument ignored: -x",
                        });
    CHECK(o.mountpoint == "/m");
}

TEST_CASE("A bare key that needs a value is unknown", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l", "-o", "upperdir", "/m"});
    CHECK(o.warnings == std::vector<std::string>{"unknown argument ignored: upperdir"});
    CHECK(o.upperdir.empty());
}

TEST_CASE("Every 1.16 option is parsed", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o",
                              "lowerdir=/a:/b,upperdir=/u,workdir=/w,uidmapping=0:1:1,"
                              "gidmapping=0:2:3,squash_to_root,squash_to_uid=7,squash_to_gid=8,"
                              "xattr_permissions=2,static_nlink,noacl,threaded=1,fsync=0,"
                              "fast_ino=1,writeback=0,noxattrs=1,timeout=2.5,context=foo,"
                              "redirect_dir=off",
                              "/m"});
    CHECK(o.lowerdirs == std::vector<std::string>{"/a", "/b"});
    CHECK(o.uid_map.ranges().size() == 1);
    CHECK(o.gid_map.ranges()[0].shown == 2);
    CHECK(o.gid_map.ranges()[0].len == 3);
    CHECK(o.squash_to_root);
    CHECK(*o.squash_to_uid == 7);
    CHECK(*o.squash_to_gid == 8);
    CHECK(o.xattr_permissions == 2);
    CHECK(o.static_nlink);
    CHECK(o.noacl);
    CHECK(o.threaded);
    CHECK_FALSE(o.fsync);
    CHECK(o.fast_ino);
    CHECK_FALSE(o.writeback);
    CHECK(o.noxattrs);
    CHECK(o.timeout == 2.5);
    CHECK(o.context == "foo");
    CHECK(o.warnings.empty());
}

TEST_CASE("volatile turns fsync off", "[fuse-overlay][cli]") {
    CHECK_FALSE(parse({"-o", "lowerdir=/l,volatile", "/m"}).fsync);
}

TEST_CASE("timeout is strtod'd like upstream: junk is 0, never an error", "[fuse-overlay][cli]") {
    CHECK(parse({"-o", "lowerdir=/l,timeout=abc", "/m"}).timeout == 0);
    CHECK(parse({"-o", "lowerdir=/l,timeout=0", "/m"}).timeout == 0);
    CHECK(parse({"-o", "lowerdir=/l,timeout=-1", "/m"}).timeout == -1);
}

TEST_CASE("Integer options take sscanf's %d: a numeric prefix is enough", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l,squash_to_uid=5x,threaded=-2", "/m"});
    CHECK(*o.squash_to_uid == 5);
    CHECK(o.threaded);
    CHECK_FALSE(parse({"-o", "lowerdir=/l,squash_to_uid=-1", "/m"}).squash_to_uid);
}

TEST_CASE("A non-numeric integer option fails with libfuse's two lines", "[fuse-overlay][cli]") {
    for (std::string opt : {"threaded=x", "squash_to_uid=", "fsync=no", "fast_ino=", "writeback=a",
                            "noxattrs=?", "xattr_permissions=z", "squash_to_gid=q"}) {
        auto [msg, pre] = error_of({"-o", "lowerdir=/l," + opt, "/m"});
        CHECK(msg == "error parsing options");
        CHECK(pre == "fuse: invalid parameter in option `" + opt + "'\n");
    }
}

TEST_CASE("Warnings printed before a parse error are kept in the preamble", "[fuse-overlay][cli]") {
    auto [msg, pre] = error_of({"-o", "rw,threaded=x", "/m"});
    CHECK(msg == "error parsing options");
    CHECK(pre == "unknown argument ignored: rw\nfuse: invalid parameter in option `threaded=x'\n");
}

TEST_CASE("-o without a value is a parse error", "[fuse-overlay][cli]") {
    auto [msg, pre] = error_of({"/m", "-o"});
    CHECK(msg == "error parsing options");
    CHECK(pre == "fuse: missing argument after `-o'\n");
}

TEST_CASE("Missing lowerdir: cannot read lower dirs", "[fuse-overlay][cli]") {
    CHECK(error_of({"/m"}).first == "cannot read lower dirs: No such file or directory");
    CHECK(error_of({"-o", "upperdir=/u", "/m"}).first ==
          "cannot read lower dirs: No such file or directory");
    CHECK(error_of({"-o", "lowerdir=", "/m"}).first ==
          "cannot read lower dirs: No such file or directory");
}

TEST_CASE("upperdir without workdir: workdir not specified", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l,upperdir=/u", "/m"}).first == "workdir not specified");
}

TEST_CASE("No positional argument: no mountpoint specified", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l"}).first == "no mountpoint specified");
    CHECK(error_of({}).first == "no mountpoint specified");
}

TEST_CASE("redirect_dir accepts only off", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l,redirect_dir=on", "/m"}).first ==
          "fuse-overlayfs only supports redirect_dir=off");
    CHECK(error_of({"-o", "redirect_dir=follow"}).first ==
          "fuse-overlayfs only supports redirect_dir=off");
    CHECK(parse({"-o", "lowerdir=/l,redirect_dir=off", "/m"}).warnings.empty());
}

TEST_CASE("xattr_permissions accepts 0, 1 and 2 only (1.16)", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l,xattr_permissions=3", "/m"}).first ==
          "invalid value for xattr_permissions");
    CHECK(error_of({"-o", "lowerdir=/l,xattr_permissions=-1", "/m"}).first ==
          "invalid value for xattr_permissions");
    CHECK(parse({"-o", "lowerdir=/l,xattr_permissions=1", "/m"}).xattr_permissions == 1);
}

TEST_CASE("Bad mappings: invalid mapping specified with the value", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l,uidmapping=0:1", "/m"}).first ==
          "invalid mapping specified: 0:1");
    CHECK(error_of({"-o", "lowerdir=/l,gidmapping=0:a:1", "/m"}).first ==
          "invalid mapping specified: 0:a:1");
    // upstream checks the mapping before the lower dirs
    CHECK(error_of({"-o", "uidmapping=0:1", "/m"}).first == "invalid mapping specified: 0:1");
}

TEST_CASE("Mappings with empty tokens, as containers/storage sends, are fine",
          "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l,uidmapping=:0:1:1,gidmapping=0:1:1:", "/m"});
    CHECK(o.uid_map.ranges().size() == 1);
    CHECK(o.gid_map.ranges().size() == 1);
}

TEST_CASE("plugins= is refused: no plugin loader", "[fuse-overlay][cli]") {
    CHECK(error_of({"-o", "lowerdir=/l,plugins=/x.so", "/m"}).first ==
          "cannot load plugin /x.so: plugins are not supported");
}

TEST_CASE("-f, -d, --debug and -o debug", "[fuse-overlay][cli]") {
    OverlayOptions f = parse({"-f", "-o", "lowerdir=/l", "/m"});
    CHECK(f.foreground);
    CHECK_FALSE(f.debug);
    OverlayOptions d = parse({"-d", "-o", "lowerdir=/l", "/m"});
    CHECK(d.foreground);
    CHECK(d.debug);
    CHECK(d.fuse_debug);
    CHECK(d.fuse_opts.back() == "debug");
    OverlayOptions dd = parse({"--debug", "-o", "lowerdir=/l", "/m"});
    CHECK(dd.debug);
    CHECK_FALSE(dd.foreground); // upstream's --debug does not keep it in the foreground
    CHECK(dd.fuse_debug);       // but turns on libfuse's trace (which then goes to /dev/null)
    CHECK(dd.debug_banner == std::vector<std::string>{"uid=unchanged", "gid=unchanged",
                                                      "upperdir=NOT USED", "workdir=NOT USED",
                                                      "lowerdir=/l", "mountpoint=/m",
                                                      "plugins=<none>", "fsync=enabled"});
    CHECK(f.debug_banner.empty());
    OverlayOptions db = parse({"-d", "-o", "lowerdir=/a:/c,upperdir=u,workdir=w", "-o",
                               "uidmapping=0:1:2,fsync=0", "/m"});
    CHECK(db.debug_banner == std::vector<std::string>{"uid=0:1:2", "gid=unchanged", "upperdir=u",
                                                      "workdir=w", "lowerdir=/a:/c",
                                                      "mountpoint=/m", "plugins=<none>",
                                                      "fsync=disabled"});
    OverlayOptions od = parse({"-o", "lowerdir=/l,debug", "/m"});
    CHECK(od.foreground);
    CHECK(od.fuse_debug);
}

TEST_CASE("-h and -V need no other argument", "[fuse-overlay][cli]") {
    CHECK(parse({"-h"}).action == OverlayOptions::Action::help);
    CHECK(parse({"--help"}).action == OverlayOptions::Action::help);
    CHECK(parse({"-V"}).action == OverlayOptions::Action::version);
    CHECK(parse({"--version"}).action == OverlayOptions::Action::version);
    CHECK(parse({"-V", "-h"}).action == OverlayOptions::Action::help);
}

TEST_CASE("libfuse unescaping: \\, \\\\ and \\NNN", "[fuse-overlay][cli]") {
    using ovl::split_option_group;
    CHECK(split_option_group("a,b") == std::vector<std::string>{"a", "b"});
    CHECK(split_option_group("a\\,b") == std::vector<std::string>{"a,b"});
    CHECK(split_option_group("a\\\\b") == std::vector<std::string>{"a\\b"});
    CHECK(split_option_group("\\101\\0") == std::vector<std::string>{"A0"});
    CHECK(split_option_group("x\\:y") == std::vector<std::string>{"x:y"});
}

TEST_CASE("lowerdir splits on ':' with \\: as a literal colon", "[fuse-overlay][cli]") {
    using ovl::split_lowerdirs;
    CHECK(split_lowerdirs("/a:/b") == std::vector<std::string>{"/a", "/b"});
    CHECK(split_lowerdirs("/a::/b:") == std::vector<std::string>{"/a", "/b"});
    CHECK(split_lowerdirs("lower\\:1:/b") == std::vector<std::string>{"lower:1", "/b"});
    // argv "lowerdir=lower\\:1" (as upstream's test passes it) after libfuse's unescaping
    OverlayOptions o = parse({"-o", "lowerdir=lower\\\\:1:x", "/m"});
    CHECK(o.lowerdirs == std::vector<std::string>{"lower:1", "x"});
}

TEST_CASE("context=\"a,b\" leaves only a harmless fragment warning", "[fuse-overlay][cli]") {
    OverlayOptions o = parse({"-o", "lowerdir=/l,context=\"a:b:c1,c2\"", "/m"});
    CHECK(o.warnings == std::vector<std::string>{"unknown argument ignored: c2\""});
    CHECK(o.mountpoint == "/m");
}
