/* registry.c: the table of challenges.  Adding one = one file + one row. */
#include "challenge.h"

#include <string.h>

extern const ph_challenge ph_challenge_pathtracker;
extern const ph_challenge ph_challenge_featuretracker;
extern const ph_challenge ph_challenge_svrt;
extern const ph_challenge ph_challenge_diagnostic;
extern const ph_challenge ph_challenge_threedpc;
extern const ph_challenge ph_challenge_hcs;

const ph_challenge *const ph_challenges[] = {
    &ph_challenge_pathtracker,
    &ph_challenge_featuretracker,
    &ph_challenge_svrt,
    &ph_challenge_diagnostic,
    &ph_challenge_threedpc,
    &ph_challenge_hcs,
};
const int ph_challenge_count = (int)(sizeof ph_challenges / sizeof ph_challenges[0]);

const ph_challenge *ph_challenge_find(const char *name)
{
    for (int i = 0; i < ph_challenge_count; i++)
        if (!strcmp(ph_challenges[i]->name, name)) return ph_challenges[i];
    return NULL;
}

const char *ph_challenge_names(void)
{
    static char buf[512];
    if (!buf[0])
        for (int i = 0; i < ph_challenge_count; i++) {
            if (i) strncat(buf, "|", sizeof buf - strlen(buf) - 1);
            strncat(buf, ph_challenges[i]->name, sizeof buf - strlen(buf) - 1);
        }
    return buf;
}
