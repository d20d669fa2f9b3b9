<?php
/*
 * Must-use plugin for the test site: there is no MTA on the machine, and wp_mail() would fail
 * (WordPress's install mails the admin, the export can mail a link). Returning true from
 * pre_wp_mail short-circuits wp_mail() as if the message had been sent.
 */
add_filter( 'pre_wp_mail', '__return_true' );
