# fish completion for podrun(1): subcommands, their flags, pod names (from `podrun ps`),
# container names for -c (from `podrun inspect POD`), files for up, validate and load -i.

set -l podrun_subcommands up down ps logs exec inspect tree gc validate doctor version pull images rmi image load volume

function __podrun_pods
    podrun ps 2>/dev/null | awk 'NR > 1 { print $1 }'
end

# The pod of the command line: the first word after the subcommand that is not an option
# or an option's value.
function __podrun_pod_arg
    set -l words (commandline -opc) (commandline -ct)
    set -l sub ""
    set -l skip 0
    for w in $words[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $w
            case -- --
                return 1
            case --log-level -c --container --tail
                set skip 1
            case '-*'
            case '*'
                if test -z "$sub"
                    set sub $w
                else
                    echo $w
                    return 0
                end
        end
    end
    return 1
end

# Container names: the "name" keys of the statuses in `podrun inspect POD`, the only ones
# indented by eight spaces.
function __podrun_containers
    set -l pod (__podrun_pod_arg)
    or return
    podrun inspect $pod 2>/dev/null | sed -n 's/^        "name": "\([^"]*\)".*/\1/p'
end

# True while the positional pod of a pod subcommand is still to be given.
function __podrun_needs_pod
    set -l words (commandline -opc)
    set -l sub ""
    set -l skip 0
    for w in $words[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $w
            case -- --
                return 1
            case --log-level -c --container --tail --timeout
                set skip 1
            case '-*'
            case '*'
                if test -z "$sub"
                    set sub $w
                else
                    return 1
                end
        end
    end
    contains -- "$sub" down inspect tree logs exec
end

complete -c podrun -f
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -l log-level -x -a "trace debug info warn error off" -d "Log level"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -l version -d "Print the version"
complete -c podrun -s h -l help -d "Print help"

complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a up -d "Start a pod"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a down -d "Stop a pod and remove everything"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a ps -d "List pods"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a logs -d "Print a container's log"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a exec -d "Run a command in a container"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a inspect -d "Print a pod's status"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a tree -d "Show a pod's process tree"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a gc -d "Clean up after killed supervisors"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a validate -d "Check a manifest"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a doctor -d "What this host offers"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a version -d "Version and kernel features"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a pull -d "Pull an image from a registry"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a images -d "List the images of the store"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a rmi -d "Remove images"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a image -d "Prune the store, or inspect an image"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a load -d "Load images from an archive"
complete -c podrun -n "not __fish_seen_subcommand_from $podrun_subcommands" -a volume -d "persistentVolumeClaim volumes: ls, inspect, rm"
complete -c podrun -n "__fish_seen_subcommand_from volume; and not __fish_seen_subcommand_from ls inspect rm" -a "ls inspect rm"
complete -c podrun -n "__fish_seen_subcommand_from volume; and __fish_seen_subcommand_from inspect rm" -a "(podrun volume ls 2>/dev/null | awk 'NR > 1 { print \$1 }')"
complete -c podrun -n "__fish_seen_subcommand_from volume; and __fish_seen_subcommand_from ls" -l json -d "Print JSON"

complete -c podrun -n "__fish_seen_subcommand_from validate" -s f -l filename -r -F -d "Another manifest file or directory"
# Files for up and validate.
complete -c podrun -n "__fish_seen_subcommand_from up validate" -F
complete -c podrun -n "__fish_seen_subcommand_from up" -s d -l detach -d "Start in the background"
complete -c podrun -n "__fish_seen_subcommand_from up" -l explain -d "Narrate every kernel step"
complete -c podrun -n "__fish_seen_subcommand_from up" -l configmap -r -F -d "A file of ConfigMaps the pod reads"
complete -c podrun -n "__fish_seen_subcommand_from up" -l secret -r -F -d "A file of Secrets the pod reads"
complete -c podrun -n "__fish_seen_subcommand_from up" -l cgroup-parent -x -a "(__fish_complete_directories)" -d "cgroup2 parent directory"
complete -c podrun -n "__fish_seen_subcommand_from up" -l no-limits -d "Run even if limits cannot be enforced"
complete -c podrun -n "__fish_seen_subcommand_from up" -l pids-max -x -d "pids.max of the pod cgroup"
complete -c podrun -n "__fish_seen_subcommand_from up" -l cpu-weight-formula -x -a "quadratic linear" -d "shares to cpu.weight"
complete -c podrun -n "__fish_seen_subcommand_from up" -l network -x -a "none pasta bridge" -d "The pod network"
complete -c podrun -n "__fish_seen_subcommand_from up" -l insecure-registry -x -d "Registry spoken to without TLS verification"

complete -c podrun -n "__fish_seen_subcommand_from down" -l all -d "Every pod"
complete -c podrun -n "__fish_seen_subcommand_from down" -l timeout -x -d "Grace period in seconds"
complete -c podrun -n "__fish_seen_subcommand_from ps version" -l json -d "Print JSON"
complete -c podrun -n "__fish_seen_subcommand_from inspect" -l ns -d "Namespace inodes"

complete -c podrun -n "__fish_seen_subcommand_from logs exec" -s c -l container -x -a "(__podrun_containers)" -d "Container"
complete -c podrun -n "__fish_seen_subcommand_from logs" -s f -l follow -d "Keep printing new lines"
complete -c podrun -n "__fish_seen_subcommand_from logs" -l tail -x -d "Only the last N lines"
complete -c podrun -n "__fish_seen_subcommand_from logs" -l timestamps -d "Prefix each line with its time"
complete -c podrun -n "__fish_seen_subcommand_from logs" -s p -l previous -d "The previous instance's log"
complete -c podrun -n "__fish_seen_subcommand_from exec" -s i -l stdin -d "Pass standard input"
complete -c podrun -n "__fish_seen_subcommand_from exec" -s t -l tty -d "Run on a terminal"
complete -c podrun -n "__fish_seen_subcommand_from exec" -l explain -d "Narrate every kernel step"

# Images: pull, images, rmi, image prune|inspect, load -i.
complete -c podrun -n "__fish_seen_subcommand_from pull" -s q -l quiet -d "Print only the digest"
complete -c podrun -n "__fish_seen_subcommand_from pull" -l platform -x -d "os/arch[/variant] to choose from an index"
complete -c podrun -n "__fish_seen_subcommand_from pull" -l insecure-registry -x -d "Registry spoken to without TLS verification"
complete -c podrun -n "__fish_seen_subcommand_from pull" -l explain -d "Narrate each request and digest check"
complete -c podrun -n "__fish_seen_subcommand_from images" -l json -d "Print JSON"
complete -c podrun -n "__fish_seen_subcommand_from image; and not __fish_seen_subcommand_from prune inspect" -a prune -d "Remove blobs and layers no image uses"
complete -c podrun -n "__fish_seen_subcommand_from image; and not __fish_seen_subcommand_from prune inspect" -a inspect -d "Print an image's OCI config"
complete -c podrun -n "__fish_seen_subcommand_from load" -s i -l input -r -F -d "The tarball or directory"
complete -c podrun -n "__fish_seen_subcommand_from load" -s q -l quiet -d "Print only the loaded names"
complete -c podrun -n "__fish_seen_subcommand_from pull images rmi image load" -l root -x -a "(__fish_complete_directories)" -d "The image store"

complete -c podrun -n __podrun_needs_pod -a "(__podrun_pods)" -d Pod
