<?php
/*
 * wp-config.php for the throwaway WordPress the tests build (tests/support/wordpress.rs copies
 * Debian's /usr/share/wordpress into a temporary folder and puts this file beside wp-load.php).
 * Debian's own wp-config.php looks up /etc/wordpress/config-<host>.php, which a test must not
 * depend on; this one takes everything from the environment the test sets:
 *   WP_TEST_DB_HOST  "127.0.0.1:<port>" (MariaDB started by the test)
 *   WP_TEST_DB_NAME  the database
 */
define( 'DB_NAME', getenv( 'WP_TEST_DB_NAME' ) );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', getenv( 'WP_TEST_DB_HOST' ) );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

// Fixed keys: the site lives for one test; cookies and nonces never leave the process.
define( 'AUTH_KEY', 'privacyd-test-auth' );
define( 'SECURE_AUTH_KEY', 'privacyd-test-secure-auth' );
define( 'LOGGED_IN_KEY', 'privacyd-test-logged-in' );
define( 'NONCE_KEY', 'privacyd-test-nonce' );
define( 'AUTH_SALT', 'privacyd-test-auth-salt' );
define( 'SECURE_AUTH_SALT', 'privacyd-test-secure-auth-salt' );
define( 'LOGGED_IN_SALT', 'privacyd-test-logged-in-salt' );
define( 'NONCE_SALT', 'privacyd-test-nonce-salt' );

// The site's address: PHP CLI has no HTTP_HOST to guess it from. It appears in the exported
// comment links and media URLs, which the dataset file rebuilds with the same prefix.
define( 'WP_HOME', 'http://wordpress.test' );
define( 'WP_SITEURL', 'http://wordpress.test' );

// No update checks, no cron requests, no outgoing HTTP: the machine has no network.
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'DISABLE_WP_CRON', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_DEBUG', false );

$table_prefix = 'wp_';

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
