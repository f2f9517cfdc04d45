# Sourced by bin/rawio and bin/test: finds a JDK >= 25 and exports JAVA_HOME, or says what to
# install and exits 1. Looks at $JAVA_HOME, then `java` on PATH, then every JDK under
# ${RAWIO_JVM_DIR:-/usr/lib/jvm}, and takes the first (JAVA_HOME, PATH) or the newest (the rest)
# whose feature version is at least 25.

rawio_required_java=25

# Prints the feature version of a java binary (25 for "25.0.1"), or nothing.
rawio_java_version() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  case "$v" in
    1.*) echo "${v#1.}" | cut -d. -f1 ;;
    *) echo "$v" | cut -d. -f1 ;;
  esac
}

rawio_find_jdk() {
  local found="" seen="" candidate version home best=0 best_home=""
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    version=$(rawio_java_version "$JAVA_HOME/bin/java")
    seen="$seen ${version:-?} at $JAVA_HOME;"
    if [ -n "$version" ] && [ "$version" -ge "$rawio_required_java" ] 2>/dev/null && [ -x "$JAVA_HOME/bin/javac" ]; then
      return 0
    fi
  fi
  if command -v java >/dev/null 2>&1; then
    candidate=$(command -v java)
    candidate=$(readlink -f "$candidate" 2>/dev/null || echo "$candidate")
    home=$(dirname "$(dirname "$candidate")")
    version=$(rawio_java_version "$candidate")
    seen="$seen ${version:-?} at $home;"
    if [ -n "$version" ] && [ "$version" -ge "$rawio_required_java" ] 2>/dev/null && [ -x "$home/bin/javac" ]; then
      found="$home"
    fi
  fi
  if [ -z "$found" ]; then
    for candidate in "${RAWIO_JVM_DIR:-/usr/lib/jvm}"/*/bin/java; do
      [ -x "$candidate" ] || continue
      home=$(dirname "$(dirname "$candidate")")
      [ -x "$home/bin/javac" ] || continue
      version=$(rawio_java_version "$candidate")
      [ -n "$version" ] || continue
      seen="$seen $version at $home;"
      if [ "$version" -ge "$rawio_required_java" ] 2>/dev/null && [ "$version" -gt "$best" ]; then
        best=$version
        best_home=$home
      fi
    done
    found="$best_home"
  fi
  if [ -z "$found" ]; then
    echo "rawio: needs a JDK $rawio_required_java or newer (found:${seen:- none}); install one (e.g. Temurin 25) or set JAVA_HOME" >&2
    exit 1
  fi
  export JAVA_HOME="$found"
}

rawio_find_jdk
export PATH="$JAVA_HOME/bin:$PATH"
