#!/usr/bin/env bash
# Builds the Kafka Streams peer (target/classes) and prints its Java classpath on stdout; Maven's
# output goes to stderr. The first run downloads the dependencies from Maven Central. Skipped
# when target/classpath.txt is newer than pom.xml and every source file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

classpath_file=target/classpath.txt
if [ -f "$classpath_file" ] && [ -d target/classes ] &&
  [ -z "$(find pom.xml src -newer "$classpath_file" -print -quit)" ]; then
  printf '%s\n' "$PWD/target/classes:$(cat "$classpath_file")"
  exit 0
fi

command -v mvn >/dev/null || { echo "build.sh: install Maven (Debian: apt-get install maven)" >&2; exit 1; }
rm -f "$classpath_file"
mvn -B -q -Dstyle.color=never compile dependency:build-classpath -Dmdep.outputFile="$classpath_file.partial" >&2
mv "$classpath_file.partial" "$classpath_file"
printf '%s\n' "$PWD/target/classes:$(cat "$classpath_file")"
