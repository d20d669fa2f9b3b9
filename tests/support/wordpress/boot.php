<?php
/*
 * Shared start of the CLI scripts: loads the WordPress copy named by WP_ROOT and makes
 * wp_die() (which wp_send_json() calls after printing) throw instead of exiting, so a script
 * can call WordPress's admin-ajax handlers in a loop and read each JSON answer.
 */
if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$wp_root = getenv( 'WP_ROOT' );
if ( ! $wp_root || ! is_file( $wp_root . '/wp-load.php' ) ) {
	fwrite( STDERR, "WP_ROOT must name the WordPress copy\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = 'wordpress.test';
$_SERVER['SERVER_NAME'] = 'wordpress.test';
$_SERVER['REQUEST_URI'] = '/';
if ( ! isset( $_SERVER['REMOTE_ADDR'] ) ) {
	$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
}

class Privacyd_Test_Die extends Exception {}

require_once $wp_root . '/wp-load.php';

/** Calls an admin-ajax handler with $post as its POST fields; returns its decoded JSON answer. */
function privacyd_test_ajax( $handler, array $post ) {
	$_POST    = $post;
	$_REQUEST = $post;
	ob_start();
	try {
		$handler();
	} catch ( Privacyd_Test_Die $e ) {
		// wp_send_json() ends in wp_die(): the answer is complete.
	}
	$out    = ob_get_clean();
	$answer = json_decode( $out, true );
	if ( ! is_array( $answer ) ) {
		fwrite( STDERR, "handler $handler printed no JSON: " . substr( $out, 0, 500 ) . "\n" );
		exit( 3 );
	}
	return $answer;
}

/** Makes admin-ajax's wp_die() throw rather than exit (DOING_AJAX set by the caller). */
function privacyd_test_ajax_mode() {
	if ( ! defined( 'DOING_AJAX' ) ) {
		define( 'DOING_AJAX', true );
	}
	add_filter(
		'wp_die_ajax_handler',
		static function () {
			return static function () {
				throw new Privacyd_Test_Die();
			};
		}
	);
	require_once ABSPATH . 'wp-admin/includes/admin.php';
	require_once ABSPATH . 'wp-admin/includes/ajax-actions.php';
}
