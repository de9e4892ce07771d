# slurm/replace.awk: replace every X_FROM by X_TO (both from the environment), as plain text:
# no regular expression, no "&" or backslash expansion, whatever the paths hold.
{
    s = $0
    out = ""
    n = length(ENVIRON["X_FROM"])
    while (n > 0 && (i = index(s, ENVIRON["X_FROM"])) > 0) {
        out = out substr(s, 1, i - 1) ENVIRON["X_TO"]
        s = substr(s, i + n)
    }
    print out s
}
