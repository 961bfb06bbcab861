# bash completion for podrun(1): subcommands, their flags, pod names (from `podrun ps`),
# container names for -c (from `podrun inspect POD`), files for up, validate and load -i.
# Self-contained (no _init_completion), so it also works without the bash-completion package.

_podrun_subcommands="up down ps logs exec inspect tree gc validate doctor version pull images rmi image load volume"

# Pod names: the first column of `podrun ps` below its header.
_podrun_pods() {
    podrun ps 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# Container names of pod $1: the "name" keys of the statuses in `podrun inspect`, which
# prints them (and only them) at a depth of four, indented by eight spaces.
_podrun_containers() {
    podrun inspect "$1" 2>/dev/null | sed -n 's/^        "name": "\([^"]*\)".*/\1/p'
}

# The flags of subcommand $1 (-h/--help everywhere).
_podrun_flags() {
    case "$1" in
        up) echo "--configmap --secret -d --detach --explain --cgroup-parent --no-limits --pids-max --cpu-weight-formula --network --insecure-registry" ;;
        down) echo "--all --timeout" ;;
        ps | version) echo "--json" ;;
        logs) echo "-c --container -f --follow --tail --timestamps -p --previous" ;;
        exec) echo "-c --container -i --stdin -t --tty --explain" ;;
        inspect) echo "--ns" ;;
        validate) echo "-f --filename" ;;
        pull) echo "-q --quiet --platform --insecure-registry --explain --root" ;;
        images) echo "--json --root" ;;
        rmi | image) echo "--root" ;;
        load) echo "-i --input -q --quiet --root" ;;
        volume) echo "--json" ;;
    esac
    echo "-h --help"
}

# Options of subcommand $1 that take a value (the next word).
_podrun_takes_value() {
    case "$1:$2" in
        *:--log-level | up:--configmap | up:--secret | up:--cgroup-parent | up:--pids-max | up:--cpu-weight-formula | up:--network | up:--insecure-registry) return 0 ;;
        validate:-f | validate:--filename) return 0 ;;
        down:--timeout | logs:--tail | logs:-c | logs:--container | exec:-c | exec:--container) return 0 ;;
        pull:--platform | pull:--insecure-registry | load:-i | load:--input) return 0 ;;
        pull:--root | images:--root | rmi:--root | image:--root | load:--root) return 0 ;;
    esac
    return 1
}

_podrun() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    # Find the subcommand, its first positional word (the pod or file) and a `--`.
    local i w sub="" pos="" dashdash=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [ "$dashdash" -eq 1 ]; then continue; fi
        case "$w" in
            --) [ -n "$sub" ] && dashdash=1 ;;
            -*) _podrun_takes_value "$sub" "$w" && ((i++)) ;;
            *) if [ -z "$sub" ]; then sub=$w; elif [ -z "$pos" ]; then pos=$w; fi ;;
        esac
    done
    # -c may come before the pod: then the pod is a later word of the line.
    if [ -z "$pos" ] && [ -n "$sub" ]; then
        for ((i = COMP_CWORD + 1; i < ${#COMP_WORDS[@]}; i++)); do
            w=${COMP_WORDS[i]}
            case "$w" in --) break ;; -*) _podrun_takes_value "$sub" "$w" && ((i++)) ;; *) pos=$w; break ;; esac
        done
    fi

    # The command after `podrun exec POD --` is the container's business, not ours.
    [ "$dashdash" -eq 1 ] && return 0

    case "$prev" in
        --log-level)
            COMPREPLY=($(compgen -W "trace debug info warn error off" -- "$cur")); return 0 ;;
        --cpu-weight-formula)
            COMPREPLY=($(compgen -W "quadratic linear" -- "$cur")); return 0 ;;
        --network)
            COMPREPLY=($(compgen -W "none pasta bridge" -- "$cur")); return 0 ;;
        --cgroup-parent | --root)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        -c | --container)
            if [ "$sub" = logs ] || [ "$sub" = exec ]; then
                [ -n "$pos" ] && COMPREPLY=($(compgen -W "$(_podrun_containers "$pos")" -- "$cur"))
                return 0
            fi ;;
        --pids-max | --timeout | --tail | --platform | --insecure-registry)
            return 0 ;;
        -f | --filename | --configmap | --secret | -i | --input)
            if [ "$sub" = validate ] || [ "$sub" = up ] || [ "$sub" = load ]; then
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur")); return 0
            fi ;;
    esac

    if [ -z "$sub" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--log-level --version -h --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_podrun_subcommands" -- "$cur"))
        fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_podrun_flags "$sub")" -- "$cur"))
        return 0
    fi
    case "$sub" in
        validate)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        up)
            if [ -z "$pos" ]; then
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
        down | inspect | tree | logs | exec)
            [ -z "$pos" ] && COMPREPLY=($(compgen -W "$(_podrun_pods)" -- "$cur")) ;;
        image)
            [ -z "$pos" ] && COMPREPLY=($(compgen -W "prune inspect" -- "$cur")) ;;
        volume)
            if [ -z "$pos" ]; then
                COMPREPLY=($(compgen -W "ls inspect rm" -- "$cur"))
            elif [ "$pos" != ls ]; then
                COMPREPLY=($(compgen -W "$(podrun volume ls 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
            fi ;;
    esac
    return 0
}

complete -F _podrun podrun
