"""Qt widgets of the app. All logic lives in desktop_app.core; this package only shows and asks."""
