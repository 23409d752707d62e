# Sourced by the build and run scripts: ui_build_if_changed builds the UI (ui/dist) only when a
# source of it is newer than the last build. A fresh ui/dist makes cargo re-embed it and relink
# the app (src-tauri/build.rs watches it), so building it when nothing changed costs a rebuild
# of the app on every start.
ui_build_if_changed() {
  local stamp=ui/dist/index.html
  # The app's build.rs writes a placeholder page when ui/dist is missing (a `cargo build` before
  # the UI was built, as on a fresh clone): that page is newer than every source but is no build.
  if [[ -f $stamp ]] && ! grep -q nextauth-placeholder "$stamp" && [[ -z $(find ui/src ui/index.html ui/package.json ui/package-lock.json \
    ui/tsconfig.json ui/vite.config.* -newer "$stamp" -print -quit 2>/dev/null) ]]; then
    echo "ui: ui/dist is up to date"
    return 0
  fi
  (cd ui && npm run build)
}
